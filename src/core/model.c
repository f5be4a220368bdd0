/*
 * model — names for states, and the clock stamps are taken from.
 */
#include "core/model.h"

#include <time.h>

const char *
model_state_name(enum proc_state s)
{
	static const char *const names[PROC_STATE_COUNT] = {
		"disabled", "pending", "starting", "running", "stopping", "stopped",
		"exited", "backoff", "fatal", "completed", "failed",
	};
	return s < PROC_STATE_COUNT ? names[s] : "?";
}

const char *
model_health_name(enum proc_health h)
{
	static const char *const names[] = {"unknown", "healthy", "unhealthy"};
	return names[h];
}

int64_t
model_realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
