/*
 * client — the CLI's side of the control socket: finding the engine of a
 * stack, sending one request, and reading replies and events. Blocking by
 * design (a command-line tool waits for its answer), with timeouts.
 */
#ifndef VIGIL_CORE_CLIENT_H
#define VIGIL_CORE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct client;

/*
 * Finds the control socket: explicit (--socket or VIGIL_SOCKET), else from
 * the stack file given with -f (its folder's .vigil/control.sock), else
 * walking up from the current folder to the first .vigil/control.sock.
 */
bool client_find_socket(const char *explicit_socket, const char *stack_file, char *buf,
    size_t size, char *err, size_t err_size);

/* Connects; NULL with a message ("no engine is running for …"). */
struct client *client_connect(const char *path, char *err, size_t err_size);
/* Closes the connection and frees; NULL is fine. */
void client_free(struct client *c);

/* Sends a request object (takes it; an "id" is added). */
bool client_send(struct client *c, struct cJSON *req, char *err, size_t err_size);
/*
 * The next message (reply or event), parsed; NULL on EOF, timeout
 * (timeout_ms < 0 = none) or error, with a message.
 */
struct cJSON *client_read(struct client *c, int timeout_ms, char *err, size_t err_size);
/* Sends req and returns the reply with the same id (events before it are skipped). */
struct cJSON *client_call(struct client *c, struct cJSON *req, int timeout_ms, char *err,
    size_t err_size);
/* The socket descriptor (for poll). */
int client_fd(const struct client *c);

#endif
