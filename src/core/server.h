/*
 * server — the control socket: a Unix stream socket (mode 0600 in a 0700
 * folder) on the engine's loop. It accepts clients whose peer uid is the
 * engine's or root, splits their input into lines (at most PROTO_MAX_LINE),
 * hands each parsed request to the engine's handler, and queues what goes
 * back. Nothing a client does can block the loop: output is queued and
 * written when the socket is writable; a client whose queue passes its
 * bound is disconnected (replies) or has events dropped and counted
 * (subscriptions).
 */
#ifndef VIGIL_CORE_SERVER_H
#define VIGIL_CORE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct loop;
struct proto_req;
struct server;
struct server_conn;

/*
 * Handles one valid request: answer with server_send (now or later). req and
 * its strings are valid only during the call. c stays valid until control
 * returns to the loop; to answer later, keep server_conn_id(c) and look the
 * connection up again with server_conn_find.
 */
typedef void (*server_request_fn)(struct server_conn *c, const struct proto_req *req, void *arg);

/*
 * Listens on path. A socket file left by a dead engine is replaced; a live
 * one (something accepts connections) is never taken: NULL with a message.
 */
struct server *server_new(struct loop *l, const char *path, server_request_fn fn, void *arg,
    char *err, size_t err_size);
/* Closes every connection and the socket, and unlinks it; NULL is fine. */
void server_free(struct server *s);

/* Queues a whole line (with its newline) to one client; takes line (malloc'd). */
void server_send(struct server_conn *c, char *line);
/* Subscribes the client to topics (PROTO_TOPIC_*). */
void server_subscribe(struct server_conn *c, unsigned topics);
/* Queues an event line to every subscriber of topic; line is copied. */
void server_broadcast(struct server *s, unsigned topic, const char *line);
/* Closes the client after what is queued has been written. */
void server_close_after_write(struct server_conn *c);

/* True when some client subscribed to topic (so building an event is worth it). */
bool server_has_subscribers(const struct server *s, unsigned topic);

size_t server_clients(const struct server *s);
/* A number naming the connection, never reused by this server. */
unsigned long long server_conn_id(const struct server_conn *c);
/* The open connection with that number, or NULL once it has closed. */
struct server_conn *server_conn_find(struct server *s, unsigned long long id);
/* The peer's uid, for messages. */
uid_t server_peer_uid(const struct server_conn *c);

#endif
