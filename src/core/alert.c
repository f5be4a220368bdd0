/*
 * alert — owns one record per (rule, target) pair with the condition's
 * history (consecutive samples, since when, counted events), the alerts
 * (active ones and the last ALERT_KEEP resolved), compiled log regexes, and
 * the notifier processes under way. Evaluation happens after every sweep
 * (every rule) and on events (those rules an event can change), never on a
 * timer of its own: an idle engine stays idle.
 */
#include "core/alert.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/loop.h"
#include "core/model.h"
#include "core/probe.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "core/supervisor.h"
#include "core/units.h"

#define ALERT_KEEP 200        /* resolved alerts kept for `vigil alerts --all` */
#define ALERT_EVENTS 512      /* counted events kept per pair */
#define ALERT_HYSTERESIS 0.05 /* a value must come back 5% past the threshold to resolve */
#define ALERT_CLEAR 2         /* samples the condition must stay off to resolve */
#define ALERT_LOG_WINDOW_MS 60000
#define ALERT_HOOK_QUEUE 100  /* webhook deliveries waiting at most; the oldest go first */
#define ALERT_HOOK_TRIES 3    /* attempts per delivery (1 s, then 2 s apart) */

/* One webhook delivery waiting or under way. */
struct alert_hook {
	char *body;                /* owned: the JSON */
	int tries;
	struct alert about;        /* a copy of the alert, to say so if it fails for good */
	struct alert_hook *next;
};

struct alert_pair {
	const struct rule *rule;   /* borrowed from the spec */
	char target[96];           /* instance name, or "host" */
	int hold;                  /* consecutive samples it held */
	int64_t since_ms;          /* monotonic ms it started holding; 0 = not holding */
	int clear;                 /* consecutive samples it stayed off */
	struct alert *active;      /* the firing alert, or NULL */
	int64_t notified_ms;       /* monotonic ms of the last fire notification; 0 = never */
	int64_t events[ALERT_EVENTS]; /* restarts or log matches, monotonic ms, a ring */
	size_t ev_head, nev;
	int restarts_seen;         /* the instance's restart count last seen */
	bool exited;               /* a matching exit since it last ran */
	regex_t re;                /* RULE_LOG */
	bool has_re;
	bool seen;                 /* its target still exists (this evaluation) */
};

/* A notifier process under way. */
struct alert_notifier {
	struct alert_engine *e;
	pid_t pid;
	struct loop_timer *timer;  /* its timeout */
	bool timed_out;
	struct alert about;        /* a copy of the alert, to say so if it fails */
	struct alert_notifier *next;
};

struct alert_engine {
	struct alert_notifier *notifiers; /* owned: running notifier processes */
	struct probe_ctx *http;    /* owned; made at the first webhook */
	struct alert_hook *hooks, *hooks_tail; /* owned: deliveries in order */
	size_t nhooks;
	struct probe *hook_inflight; /* the head's attempt under way */
	struct loop_timer *hook_retry;
	struct loop *loop;         /* borrowed */
	struct sv *sv;             /* borrowed */
	alert_fn fn;
	void *arg;
	struct alert_pair **pairs; /* owned */
	size_t npairs, cappairs;
	struct alert **alerts;     /* owned, oldest first */
	size_t nalerts, capalerts;
	uint64_t next_id;
};

static int64_t
alert_mono_ms(void)
{
	return loop_now() / 1000000;
}

/* ---- alerts ----------------------------------------------------------------- */

cJSON *
alert_json(const struct alert *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "severity", rule_severity_name(a->severity));
	cJSON_AddStringToObject(o, "rule", a->rule);
	cJSON_AddStringToObject(o, "target", a->target);
	cJSON_AddStringToObject(o, "message", a->message);
	cJSON_AddNumberToObject(o, "fired", (double)a->fired_ms);
	if (a->resolved_ms > 0)
		cJSON_AddNumberToObject(o, "resolved", (double)a->resolved_ms);
	else
		cJSON_AddNullToObject(o, "resolved");
	cJSON_AddBoolToObject(o, "active", a->resolved_ms == 0);
	cJSON_AddBoolToObject(o, "acknowledged", a->acked_ms > 0);
	return o;
}

static void
alert_notifier_drop(struct alert_notifier *n)
{
	struct alert_notifier **pp = &n->e->notifiers;
	while (*pp != NULL && *pp != n)
		pp = &(*pp)->next;
	if (*pp == n)
		*pp = n->next;
	free(n);
}

/* A notification of about failed for good: said as ALERT_UNDELIVERED. */
static void __attribute__((format(printf, 3, 4)))
alert_undelivered(struct alert_engine *e, const struct alert *about, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (e->fn != NULL)
		e->fn(ALERT_UNDELIVERED, about, why, e->arg);
}

static void
alert_on_notifier_exit(struct loop *l, pid_t pid, int status, void *arg)
{
	(void)pid;
	struct alert_notifier *n = arg;
	loop_timer_cancel(l, n->timer);
	if (n->timed_out)
		alert_undelivered(n->e, &n->about, "notify.exec still ran at its timeout: killed");
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		alert_undelivered(n->e, &n->about, "notify.exec exited with status %d%s", WEXITSTATUS(status),
		    WEXITSTATUS(status) == 127 ? " (command not found?)" : "");
	else if (WIFSIGNALED(status))
		alert_undelivered(n->e, &n->about, "notify.exec killed by signal %d", WTERMSIG(status));
	alert_notifier_drop(n);
}

static void
alert_on_notifier_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct alert_notifier *n = arg;
	n->timer = NULL;
	n->timed_out = true;
	kill(-n->pid, SIGKILL); /* still running at its timeout: its whole group goes; the exit frees n */
}

static void alert_hook_send(struct alert_engine *e);

static void
alert_on_hook_retry(struct loop *l, void *arg)
{
	(void)l;
	struct alert_engine *e = arg;
	e->hook_retry = NULL;
	alert_hook_send(e);
}

/* The head delivery's attempt ended: the next one, or the same again later. */
static void
alert_on_hook_done(void *arg, bool ok, const char *detail)
{
	struct alert_engine *e = arg;
	e->hook_inflight = NULL;
	struct alert_hook *h = e->hooks;
	if (h == NULL)
		return;
	if (!ok && ++h->tries < ALERT_HOOK_TRIES) {
		e->hook_retry = loop_timer_after(e->loop, (int64_t)1000 << (h->tries - 1), alert_on_hook_retry, e);
		return;
	}
	if (!ok)
		alert_undelivered(e, &h->about, "webhook failed %d times: %s", h->tries,
		    detail != NULL && detail[0] ? detail : "could not be sent");
	e->hooks = h->next;
	if (e->hooks == NULL)
		e->hooks_tail = NULL;
	e->nhooks--;
	free(h->body);
	free(h);
	alert_hook_send(e);
}

static void
alert_on_hook_unstarted(struct loop *l, void *arg)
{
	(void)l;
	struct alert_engine *e = arg;
	e->hook_retry = NULL;
	alert_on_hook_done(e, false, "");
}

/* Starts the head delivery unless one is under way or waiting to retry. */
static void
alert_hook_send(struct alert_engine *e)
{
	const struct spec_alerts *al = &sv_spec(e->sv)->alerts;
	if (e->hooks == NULL || e->hook_inflight != NULL || e->hook_retry != NULL || al->webhook == NULL)
		return;
	if (e->http == NULL && (e->http = probe_ctx_new(e->loop)) == NULL)
		return;
	int64_t t = al->webhook_timeout_ms > 0 ? al->webhook_timeout_ms : 5000;
	e->hook_inflight = probe_post(e->http, al->webhook, e->hooks->body, t, alert_on_hook_done, e);
	if (e->hook_inflight == NULL) /* could not even start (no libcurl?): a failed attempt, from the loop */
		e->hook_retry = loop_timer_after(e->loop, 0, alert_on_hook_unstarted, e);
}

/* Queues text for the webhook; beyond the bound the oldest waiting delivery is dropped. */
static void
alert_hook_queue(struct alert_engine *e, const char *text, const struct alert *a)
{
	struct alert_hook *h = calloc(1, sizeof(*h));
	if (h == NULL || (h->body = strdup(text)) == NULL) {
		free(h);
		return;
	}
	h->about = *a;
	if (e->nhooks >= ALERT_HOOK_QUEUE && e->hooks != NULL && e->hooks->next != NULL) {
		/* Keep the head (it may be under way): drop the one after it. */
		struct alert_hook *old = e->hooks->next;
		e->hooks->next = old->next;
		if (e->hooks_tail == old)
			e->hooks_tail = e->hooks;
		free(old->body);
		free(old);
		e->nhooks--;
	}
	if (e->hooks_tail != NULL)
		e->hooks_tail->next = h;
	else
		e->hooks = h;
	e->hooks_tail = h;
	e->nhooks++;
	alert_hook_send(e);
}

static void
alert_notify(struct alert_engine *e, const char *what, const struct alert *a)
{
	const struct spec_alerts *al = &sv_spec(e->sv)->alerts;
	if (al->notify_exec.argc == 0 && al->webhook == NULL)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", what);
	cJSON_AddStringToObject(o, "stack", sv_spec(e->sv)->name);
	cJSON_AddItemToObject(o, "alert", alert_json(a));
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text != NULL && al->webhook != NULL)
		alert_hook_queue(e, text, a);
	if (al->notify_exec.argc == 0) {
		free(text);
		return;
	}
	int p[2];
	if (text == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(text);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		dup2(p[0], STDIN_FILENO);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDOUT_FILENO); /* its stderr is the engine's: what it complains of is seen */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		spawn_restore_limits();
		const struct spec_command *c = &al->notify_exec;
		if (c->shell)
			execl("/bin/sh", "sh", "-c", c->argv[0], (char *)NULL);
		else
			execvp(c->argv[0], (char *const *)c->argv);
		_exit(127);
	}
	close(p[0]);
	if (pid > 0) {
		/* A pipe holds 64 KiB: an alert's JSON goes in at once, the write never blocks. */
		fcntl(p[1], F_SETFL, O_NONBLOCK);
		/* One line: a `while read` notifier reads it, appended ones stay apart. */
		struct iovec iov[2] = {{.iov_base = text, .iov_len = strlen(text)}, {.iov_base = "\n", .iov_len = 1}};
		ssize_t w = writev(p[1], iov, 2);
		(void)w;
		struct alert_notifier *n = calloc(1, sizeof(*n));
		if (n != NULL) {
			n->e = e;
			n->pid = pid;
			n->about = *a;
			n->next = e->notifiers;
			e->notifiers = n;
			loop_watch_child(e->loop, pid, alert_on_notifier_exit, n);
			int64_t t = al->webhook_timeout_ms > 0 ? al->webhook_timeout_ms : 5000;
			n->timer = loop_timer_after(e->loop, t, alert_on_notifier_timeout, n);
		}
	}
	close(p[1]);
	free(text);
}

static void
alert_fire(struct alert_engine *e, struct alert_pair *pr, const char *now_value)
{
	struct alert *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return;
	a->id = ++e->next_id;
	a->severity = pr->rule->severity;
	a->rule = pr->rule->text;
	snprintf(a->target, sizeof(a->target), "%s", pr->target);
	snprintf(a->message, sizeof(a->message), "%s: %s%s%s%s", pr->target, pr->rule->text,
	    now_value[0] ? " (now " : "", now_value, now_value[0] ? ")" : "");
	a->fired_ms = model_realtime_ms();
	if (e->nalerts == e->capalerts) {
		size_t cap = e->capalerts ? e->capalerts * 2 : 32;
		struct alert **v = realloc(e->alerts, cap * sizeof(*v));
		if (v == NULL) {
			free(a);
			return;
		}
		e->alerts = v;
		e->capalerts = cap;
	}
	e->alerts[e->nalerts++] = a;
	pr->active = a;
	if (e->fn != NULL)
		e->fn(ALERT_FIRED, a, NULL, e->arg);
	/* cooldown: the same pair notifies at most once per period. */
	int64_t now = alert_mono_ms();
	int64_t cd = sv_spec(e->sv)->alerts.cooldown_ms;
	if (pr->notified_ms == 0 || now - pr->notified_ms >= cd) {
		pr->notified_ms = now;
		a->notified = true;
		alert_notify(e, "fired", a);
	}
}

/* Drops the oldest resolved alerts beyond ALERT_KEEP. */
static void
alert_trim(struct alert_engine *e)
{
	size_t resolved = 0;
	for (size_t i = 0; i < e->nalerts; i++)
		resolved += e->alerts[i]->resolved_ms > 0;
	size_t k = 0;
	for (size_t i = 0; i < e->nalerts; i++) {
		struct alert *a = e->alerts[i];
		if (resolved > ALERT_KEEP && a->resolved_ms > 0) {
			free(a);
			resolved--;
			continue;
		}
		e->alerts[k++] = a;
	}
	e->nalerts = k;
}

static void
alert_resolve(struct alert_engine *e, struct alert_pair *pr)
{
	struct alert *a = pr->active;
	pr->active = NULL;
	a->resolved_ms = model_realtime_ms();
	if (e->fn != NULL)
		e->fn(ALERT_RESOLVED, a, NULL, e->arg);
	/* A receiver hears of a resolve only for a firing it heard of. */
	if (a->notified)
		alert_notify(e, "resolved", a);
	alert_trim(e);
}

/* ---- pairs --------------------------------------------------------------- */

/* True when r is one of the current stack file's rules (not one a reload replaced). */
static bool
alert_rule_current(const struct alert_engine *e, const struct rule *r)
{
	const struct spec *spec = sv_spec(e->sv);
	if (r >= spec->alerts.rules && r < spec->alerts.rules + spec->alerts.nrules)
		return true;
	for (size_t i = 0; i < spec->nprocesses; i++)
		if (r >= spec->processes[i].alerts && r < spec->processes[i].alerts + spec->processes[i].nalerts)
			return true;
	return false;
}

/* The same rule, as a reload re-read it: its text, severity and selector unchanged. */
static bool
alert_rule_same(const struct rule *a, const struct rule *b)
{
	return a->severity == b->severity && strcmp(a->text, b->text) == 0 &&
	    (a->target == NULL) == (b->target == NULL) && (a->target == NULL || strcmp(a->target, b->target) == 0);
}

static struct alert_pair *
alert_pair(struct alert_engine *e, const struct rule *r, const char *target)
{
	for (size_t i = 0; i < e->npairs; i++)
		if (e->pairs[i]->rule == r && strcmp(e->pairs[i]->target, target) == 0)
			return e->pairs[i];
	/* After a reload: the pair of the same rule goes on (its alert stays as it is, no second firing). */
	for (size_t i = 0; i < e->npairs; i++) {
		struct alert_pair *pr = e->pairs[i];
		if (strcmp(pr->target, target) == 0 && alert_rule_same(pr->rule, r) && !alert_rule_current(e, pr->rule)) {
			pr->rule = r;
			if (pr->active != NULL)
				pr->active->rule = r->text;
			return pr;
		}
	}
	if (e->npairs == e->cappairs) {
		size_t cap = e->cappairs ? e->cappairs * 2 : 32;
		struct alert_pair **v = realloc(e->pairs, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		e->pairs = v;
		e->cappairs = cap;
	}
	struct alert_pair *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->rule = r;
	p->restarts_seen = -1;
	snprintf(p->target, sizeof(p->target), "%s", target);
	if (r->kind == RULE_LOG)
		p->has_re = regcomp(&p->re, r->regex, REG_EXTENDED | REG_NOSUB | (r->icase ? REG_ICASE : 0)) == 0;
	e->pairs[e->npairs++] = p;
	return p;
}

static void
alert_event_push(struct alert_pair *p, int64_t t)
{
	if (p->nev < ALERT_EVENTS) {
		p->events[(p->ev_head + p->nev++) % ALERT_EVENTS] = t;
	} else {
		p->events[p->ev_head] = t;
		p->ev_head = (p->ev_head + 1) % ALERT_EVENTS;
	}
}

/* Counted events in the last window_ms; older ones are dropped. */
static size_t
alert_event_count(struct alert_pair *p, int64_t now, int64_t window_ms)
{
	while (p->nev > 0 && now - p->events[p->ev_head] > window_ms) {
		p->ev_head = (p->ev_head + 1) % ALERT_EVENTS;
		p->nev--;
	}
	return p->nev;
}

static bool
alert_cmp(double v, enum rule_op op, double t)
{
	switch (op) {
	case RULE_GT: return v > t;
	case RULE_GE: return v >= t;
	case RULE_LT: return v < t;
	case RULE_LE: return v <= t;
	case RULE_EQ: return v == t;
	case RULE_NE: return v != t;
	}
	return false;
}

/* The threshold moved by the hysteresis, for deciding whether a firing alert still holds. */
static double
alert_sticky(enum rule_op op, double t)
{
	if (op == RULE_GT || op == RULE_GE)
		return t * (1 - ALERT_HYSTERESIS);
	if (op == RULE_LT || op == RULE_LE)
		return t * (1 + ALERT_HYSTERESIS);
	return t;
}

/* A metric's value now; false when there is none (the process does not run). */
static bool
alert_metric(const struct alert_engine *e, const struct rule *r, const struct proc_info *p,
    double *v, char *shown, size_t size)
{
	const struct model_host *h = sv_host(e->sv);
	const struct proc_metrics *m = p != NULL ? &p->metrics : NULL;
	bool host = r->metric == RULE_M_LOAD || r->metric == RULE_M_HOST_MEMORY;
	if (host ? h->at_ms == 0 : (m == NULL || p->pid <= 0 || m->at_ms == 0))
		return false;
	char b[32];
	switch (r->metric) {
	case RULE_M_CPU: *v = m->cpu; snprintf(shown, size, "%.1f%%", *v); return true;
	case RULE_M_TREE_CPU: *v = m->tree_cpu; snprintf(shown, size, "%.1f%%", *v); return true;
	case RULE_M_MEMORY: *v = (double)m->rss; break;
	case RULE_M_TREE_MEMORY: *v = (double)m->tree_rss; break;
	case RULE_M_THREADS: *v = m->threads; snprintf(shown, size, "%d", m->threads); return true;
	case RULE_M_FDS:
		if (m->fds < 0)
			return false;
		*v = m->fds;
		snprintf(shown, size, "%d", m->fds);
		return true;
	case RULE_M_IO_READ:
	case RULE_M_IO_WRITE:
		*v = r->metric == RULE_M_IO_READ ? m->io_read : m->io_write;
		if (*v < 0)
			return false;
		units_fmt_mem_like((uint64_t)*v, (int64_t)r->value, b, sizeof(b));
		snprintf(shown, size, "%s/s", b);
		return true;
	case RULE_M_LOAD: *v = h->load[0]; snprintf(shown, size, "%.2f", *v); return true;
	case RULE_M_HOST_MEMORY: {
		double used = (double)(h->mem_total - h->mem_available);
		*v = r->percent && h->mem_total > 0 ? 100.0 * used / (double)h->mem_total : used;
		if (r->percent) {
			snprintf(shown, size, "%.1f%%", *v);
			return true;
		}
		break;
	}
	}
	units_fmt_mem_like((uint64_t)*v, (int64_t)r->value, b, sizeof(b));
	snprintf(shown, size, "%s", b);
	return true;
}

/*
 * One evaluation of a pair: does the condition hold now (and, for a
 * firing alert, does it still hold with the hysteresis)? Fires or
 * resolves. sample: a sweep (counts toward "for N samples").
 */
static void
alert_eval(struct alert_engine *e, struct alert_pair *pr, const struct proc_info *p, bool sample)
{
	const struct rule *r = pr->rule;
	int64_t now = alert_mono_ms();
	bool cond = false, still = false;
	char shown[64] = "";
	switch (r->kind) {
	case RULE_METRIC: {
		double v = 0;
		if (alert_metric(e, r, p, &v, shown, sizeof(shown))) {
			cond = alert_cmp(v, r->op, r->value);
			still = alert_cmp(v, r->op, alert_sticky(r->op, r->value));
		}
		break;
	}
	case RULE_RESTARTS: {
		size_t n = alert_event_count(pr, now, r->window_ms);
		cond = still = alert_cmp((double)n, r->op, r->value);
		snprintf(shown, sizeof(shown), "%zu", n);
		break;
	}
	case RULE_STATE:
		cond = still = p != NULL && (strcmp(model_state_name(p->state), r->state) == 0) == (r->op == RULE_EQ);
		if (p != NULL)
			snprintf(shown, sizeof(shown), "%s", model_state_name(p->state));
		break;
	case RULE_UNHEALTHY:
		cond = still = p != NULL && p->health == HEALTH_UNHEALTHY;
		break;
	case RULE_EXITED:
		cond = still = pr->exited;
		break;
	case RULE_LOG: {
		int64_t window = r->window_ms > 0 ? r->window_ms : ALERT_LOG_WINDOW_MS;
		size_t n = alert_event_count(pr, now, window);
		cond = still = r->window_ms > 0 ? alert_cmp((double)n, r->op, r->value) : n > 0;
		snprintf(shown, sizeof(shown), "%zu in the window", n);
		break;
	}
	}
	if (cond) {
		if (pr->since_ms == 0)
			pr->since_ms = now;
		if (sample)
			pr->hold++;
	} else {
		pr->since_ms = 0;
		pr->hold = 0;
	}
	if (pr->active == NULL) {
		bool long_enough = r->for_samples > 0 ? pr->hold >= r->for_samples :
		    r->for_ms > 0 ? pr->since_ms > 0 && now - pr->since_ms >= r->for_ms : cond;
		if (cond && long_enough)
			alert_fire(e, pr, shown);
		pr->clear = 0;
		return;
	}
	/* Firing: resolves once it stayed off (past the hysteresis) for ALERT_CLEAR samples. */
	if (still) {
		pr->clear = 0;
		return;
	}
	bool counted = r->kind != RULE_METRIC; /* counts and states have no value to hover */
	if (counted || (sample && ++pr->clear >= ALERT_CLEAR))
		alert_resolve(e, pr);
}

/* True when r watches the host (load, host_memory), not an instance. */
static bool
alert_on_host(const struct rule *r)
{
	return r->kind == RULE_METRIC && (r->metric == RULE_M_LOAD || r->metric == RULE_M_HOST_MEMORY);
}

/* Calls fn for each (rule, instance) pair the spec defines; host rules once. */
static void
alert_each(struct alert_engine *e, void (*fn)(struct alert_engine *, struct alert_pair *,
    const struct proc_info *, void *), void *arg, const struct proc_info *only)
{
	const struct spec *spec = sv_spec(e->sv);
	for (size_t i = 0; i < sv_count(e->sv); i++) {
		const struct proc_info *p = sv_proc(e->sv, i);
		if (only != NULL && p != only)
			continue;
		for (size_t k = 0; k < p->spec->nalerts; k++) {
			const struct rule *r = &p->spec->alerts[k];
			bool host = alert_on_host(r);
			if (host)
				sv_want_host(e->sv);
			struct alert_pair *pr = alert_pair(e, r, host ? "host" : p->name);
			if (pr != NULL) {
				pr->seen = true;
				fn(e, pr, host ? NULL : p, arg);
			}
		}
		for (size_t k = 0; k < spec->alerts.nrules; k++) {
			const struct rule *r = &spec->alerts.rules[k];
			bool host = alert_on_host(r);
			if (host || (r->target != NULL && !model_match(p, r->target)))
				continue;
			struct alert_pair *pr = alert_pair(e, r, p->name);
			if (pr != NULL) {
				pr->seen = true;
				fn(e, pr, p, arg);
			}
		}
	}
	if (only != NULL)
		return;
	for (size_t k = 0; k < spec->alerts.nrules; k++) {
		const struct rule *r = &spec->alerts.rules[k];
		if (alert_on_host(r)) {
			sv_want_host(e->sv); /* read from the next sample on */
			struct alert_pair *pr = alert_pair(e, r, "host");
			if (pr != NULL) {
				pr->seen = true;
				fn(e, pr, NULL, arg);
			}
		}
	}
}

static void
alert_sample_one(struct alert_engine *e, struct alert_pair *pr, const struct proc_info *p, void *arg)
{
	(void)arg;
	alert_eval(e, pr, p, true);
}

static void
alert_pair_free(struct alert_pair *pr)
{
	if (pr->has_re)
		regfree(&pr->re);
	free(pr);
}

void
alert_on_sample(struct alert_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->npairs; i++)
		e->pairs[i]->seen = false;
	alert_each(e, alert_sample_one, NULL, NULL);
	/* Pairs no rule or process of the stack file has any more (a reload): their alerts resolve. */
	size_t k = 0;
	for (size_t i = 0; i < e->npairs; i++) {
		struct alert_pair *pr = e->pairs[i];
		if (pr->seen) {
			e->pairs[k++] = pr;
			continue;
		}
		if (pr->active != NULL)
			alert_resolve(e, pr);
		alert_pair_free(pr);
	}
	e->npairs = k;
}

/* What an event means for one pair of its process. */
static void
alert_event_one(struct alert_engine *e, struct alert_pair *pr, const struct proc_info *p, void *arg)
{
	const struct sv_event *ev = arg;
	const struct rule *r = pr->rule;
	int64_t now = alert_mono_ms();
	if (p == NULL)
		return;
	switch (r->kind) {
	case RULE_RESTARTS:
		if (ev->kind != SV_EV_STATE)
			return;
		if (pr->restarts_seen >= 0 && p->restarts > pr->restarts_seen)
			for (int k = pr->restarts_seen; k < p->restarts; k++)
				alert_event_push(pr, now);
		pr->restarts_seen = p->restarts;
		break;
	case RULE_EXITED: {
		if (ev->kind != SV_EV_STATE)
			return;
		enum proc_state to = ev->to;
		if (to == PROC_STARTING || to == PROC_RUNNING) {
			pr->exited = false;
		} else if ((to == PROC_EXITED || to == PROC_BACKOFF || to == PROC_FAILED || to == PROC_FATAL) &&
		    ev->from != to && p->last_status >= 0) {
			int st = p->last_status;
			if (r->exit_signal > 0)
				pr->exited = WIFSIGNALED(st) && WTERMSIG(st) == r->exit_signal;
			else if (r->exit_code < 0)
				pr->exited = !WIFEXITED(st) || WEXITSTATUS(st) != 0;
			else
				pr->exited = WIFEXITED(st) && WEXITSTATUS(st) == r->exit_code;
		}
		break;
	}
	case RULE_LOG: {
		if (ev->kind != SV_EV_LOG || !pr->has_re)
			return;
		char buf[4096];
		size_t n = ev->line->len < sizeof(buf) - 1 ? ev->line->len : sizeof(buf) - 1;
		memcpy(buf, ev->line->text, n);
		buf[n] = '\0';
		/* A NUL byte in the line: matched as U+FFFD, as `vigil logs` shows it (rare: a copy). */
		char *text = memchr(buf, '\0', n) != NULL ? str_dup_text(buf, n) : NULL;
		bool match = regexec(&pr->re, text != NULL ? text : buf, 0, NULL, 0) == 0;
		free(text);
		if (!match)
			return;
		alert_event_push(pr, now);
		break;
	}
	case RULE_STATE:
	case RULE_UNHEALTHY:
		if (ev->kind != SV_EV_STATE && ev->kind != SV_EV_HEALTH)
			return;
		break;
	default:
		return;
	}
	alert_eval(e, pr, p, false);
}

void
alert_on_event(struct alert_engine *e, const struct sv_event *ev)
{
	if (e == NULL || ev->proc == NULL)
		return;
	if (ev->kind != SV_EV_STATE && ev->kind != SV_EV_LOG && ev->kind != SV_EV_HEALTH)
		return;
	alert_each(e, alert_event_one, (void *)ev, ev->proc);
}

bool
alert_wants_lines(const struct alert_engine *e)
{
	if (e == NULL)
		return false;
	const struct spec *spec = sv_spec(e->sv);
	for (size_t k = 0; k < spec->alerts.nrules; k++)
		if (spec->alerts.rules[k].kind == RULE_LOG)
			return true;
	for (size_t i = 0; i < spec->nprocesses; i++)
		for (size_t k = 0; k < spec->processes[i].nalerts; k++)
			if (spec->processes[i].alerts[k].kind == RULE_LOG)
				return true;
	return false;
}

size_t
alert_ack(struct alert_engine *e, uint64_t id)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nalerts; i++) {
		struct alert *a = e->alerts[i];
		if (a->resolved_ms > 0 || a->acked_ms > 0 || (id != 0 && a->id != id))
			continue;
		a->acked_ms = model_realtime_ms();
		n++;
		if (e->fn != NULL)
			e->fn(ALERT_ACKED, a, NULL, e->arg);
		alert_notify(e, "acknowledged", a);
	}
	return n;
}

size_t
alert_list(const struct alert_engine *e, bool all, const struct alert **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = e->nalerts; i-- > 0 && n < cap;)
		if (all || e->alerts[i]->resolved_ms == 0)
			out[n++] = e->alerts[i];
	return n;
}

struct alert_engine *
alert_new(struct loop *l, struct sv *sv, alert_fn fn, void *arg)
{
	struct alert_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->loop = l;
	e->sv = sv;
	e->fn = fn;
	e->arg = arg;
	return e;
}

void
alert_free(struct alert_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->npairs; i++)
		alert_pair_free(e->pairs[i]);
	free(e->pairs);
	for (size_t i = 0; i < e->nalerts; i++)
		free(e->alerts[i]);
	free(e->alerts);
	probe_cancel(e->hook_inflight);
	loop_timer_cancel(e->loop, e->hook_retry);
	while (e->hooks != NULL) {
		struct alert_hook *h = e->hooks;
		e->hooks = h->next;
		free(h->body);
		free(h);
	}
	probe_ctx_free(e->http);
	while (e->notifiers != NULL) {
		struct alert_notifier *n = e->notifiers;
		e->notifiers = n->next;
		loop_timer_cancel(e->loop, n->timer);
		loop_unwatch_child(e->loop, n->pid);
		kill(-n->pid, SIGKILL);
		free(n);
	}
	free(e);
}
