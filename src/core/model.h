/*
 * model — the public face of a supervised process: plain records the
 * supervisor owns and updates, and everything else (the headless printer,
 * the control socket, the dashboard) reads, const.
 */
#ifndef VIGIL_CORE_MODEL_H
#define VIGIL_CORE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct spec_process;
struct cJSON;

/* The states of DESIGN.md; see supervisor.c for the transitions. */
enum proc_state {
	PROC_DISABLED,
	PROC_PENDING,   /* waiting for its dependencies */
	PROC_STARTING,  /* spawned, its ready probe has not passed yet */
	PROC_RUNNING,   /* ready */
	PROC_STOPPING,  /* stop signal sent, waiting for the exit */
	PROC_STOPPED,   /* stopped on request */
	PROC_EXITED,    /* exited and will not be restarted */
	PROC_BACKOFF,   /* exited; restarts when its delay ends */
	PROC_FATAL,     /* restarted too often */
	PROC_COMPLETED, /* a oneshot or cleanup that exited 0 */
	PROC_FAILED,    /* a oneshot or cleanup that did not */
	PROC_STATE_COUNT,
};

enum proc_health { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

struct proc_info {
	const char *name;                 /* "api", or "worker:1" for a replica */
	const struct spec_process *spec;  /* borrowed from the spec */
	int replica;                      /* 0 … replicas-1 */
	enum proc_state state;
	enum proc_health health;
	pid_t pid;                        /* also the process group; 0 when not running */
	int restarts;                     /* restarts since the engine started */
	int last_status;                  /* waitpid status of the last exit; -1 = none yet */
	int64_t since_ms;                 /* realtime of the last state change */
	int64_t started_ms;               /* realtime of the last spawn; 0 = never */
	char reason[192];                 /* why it is in this state ("waiting: db is fatal") */
};

/*
 * True when target names this instance: "name" (every replica), "name:2"
 * (one replica), "@group", "#tag", or "all".
 */
bool model_match(const struct proc_info *p, const char *target);
/* True for a state a healthy stack can be in: running, or completed for a oneshot. */
bool model_state_good(const struct proc_info *p);

/* The record as JSON for the control protocol (a new object; the caller owns it). */
struct cJSON *model_json(const struct proc_info *p, int64_t now_ms);

const char *model_state_name(enum proc_state s);
const char *model_health_name(enum proc_health h);
/* Milliseconds since the epoch, for stamps. */
int64_t model_realtime_ms(void);

#endif
