/*
 * tui — owns the curses screen, the replica, the view's state and the
 * stream to the engine. Drawing happens in the loop's before-sleep hook,
 * only when the replica or the view changed or the refresh period passed:
 * an idle dashboard sleeps in epoll until the next period.
 */
#include "ui/tui.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/spawn.h"
#include "core/stream.h"
#include "ui/replica.h"
#include "ui/theme.h"
#include "ui/view.h"

#define TUI_RETRY_MS 1000
#define TUI_BACKLOG_LINES REPLICA_PROC_LINES /* per process, at connect: what its ring holds */
#define TUI_PENDING 64

/* What a reply answers. */
struct tui_pending {
	long id;
	char what[160];  /* "restart api" */
};

enum tui_prompt { TUI_PROMPT_NONE, TUI_PROMPT_QUIT, TUI_PROMPT_CONFIRM, TUI_PROMPT_TAG,
	TUI_PROMPT_GROUP, TUI_PROMPT_NAME, TUI_PROMPT_SEARCH };

#define TUI_CONNS 8

/* One engine the screen talks to: a local socket, vigil top's agent, or ssh. */
struct tui_conn {
	struct tui *t;
	int origin;                  /* index; records from it carry it */
	char label[64];              /* the host (with several), "" with one */
	const char *host;            /* ssh: [user@]host; NULL = local */
	struct stream *stream;       /* owned; NULL while disconnected */
	bool heard;                  /* the stream has said something since it opened */
	bool ended;                  /* the engine said its stack ended ("end" event) */
	int end_status;              /* and its exit status */
	struct stream *dead;         /* owned: an ended stream, freed outside its callbacks */
	pid_t ssh_pid;               /* the ssh process of this connection; 0 = none */
	int attempts;                /* reconnection attempts since it went away */
	struct loop_timer *retry;
	char why[128];               /* why it went away */
};

struct tui {
	const struct tui_opts *o;
	struct loop *loop;
	struct tui_conn conns[TUI_CONNS];
	int nconns;
	struct replica rep;
	struct view view;
	struct tui_pending pending[TUI_PENDING];
	unsigned dirty;              /* VIEW_REGION_* to redraw before the next sleep */
	bool quit;
	int exit_status;
	bool stopping;               /* asked the engine to bring the stack down */
	int64_t last_draw_ms;
	enum tui_prompt prompt;
	char confirm_cmd[16];        /* restart/stop/start, waiting for y */
	char confirm_target[96];
	int confirm_origin;
	int pick;                    /* Tab cycling through tags or groups */
	char end_why[128];           /* why a stream that cannot be reopened ended */
	int signal_no;               /* host mode: the signal waiting for y */
	pid_t signal_pid;
	char held[160];              /* the selected process whose lines the replica keeps first */
};

static int64_t
tui_now_ms(void)
{
	return loop_now() / 1000000;
}

/* ---- the connections ------------------------------------------------------ */

static void tui_connect(struct tui_conn *c);

static void
tui_on_retry(struct loop *l, void *arg)
{
	(void)l;
	struct tui_conn *c = arg;
	c->retry = NULL;
	tui_connect(c);
}

/* The banner line: which connections are down, and which ssh ones have not answered yet. */
static void
tui_status(struct tui *t)
{
	t->view.status[0] = '\0';
	for (int i = 0; i < t->nconns; i++) {
		struct tui_conn *c = &t->conns[i];
		size_t len = strlen(t->view.status);
		if (c->ended) {
			snprintf(t->view.status + len, sizeof(t->view.status) - len, "%s%s%sthe stack is down (exit status %d)%s",
			    len ? "; " : "", c->label, c->label[0] ? ": " : "", c->end_status,
			    t->o->owns_stack ? " — q leaves" : " — attaching again when it runs");
			continue;
		}
		if (c->stream != NULL) {
			if (!c->heard && c->host != NULL)
				snprintf(t->view.status + len, sizeof(t->view.status) - len, "%s%s: connecting …",
				    len ? "; " : "", c->host);
			continue;
		}
		snprintf(t->view.status + len, sizeof(t->view.status) - len, "%s%s%sengine gone (%s) — reconnecting%s",
		    len ? "; " : "", c->label, c->label[0] ? ": " : "", c->why,
		    c->attempts > 1 ? " …" : "");
	}
	t->dirty = VIEW_REGION_ALL;
}

static void
tui_on_end(const char *why, void *arg)
{
	struct tui_conn *c = arg;
	struct tui *t = c->t;
	c->dead = c->stream;
	c->stream = NULL;
	if (t->o->has_fd) {
		/* vigil top's agent: nothing to reconnect to. */
		snprintf(t->end_why, sizeof(t->end_why), "%s", why);
		t->quit = true;
		t->exit_status = 1;
		return;
	}
	if (t->stopping) {
		/* The stack is down and the engine gone: that was the point. */
		t->quit = true;
		return;
	}
	if (c->ended && t->o->owns_stack) {
		/* It ended by itself (nothing left to run): the last picture stays until q, with its result. */
		t->exit_status = c->end_status;
		tui_status(t);
		return;
	}
	snprintf(c->why, sizeof(c->why), "%s", why);
	tui_status(t);
	if (c->retry == NULL)
		c->retry = loop_timer_after(t->loop, TUI_RETRY_MS, tui_on_retry, c);
}

static long
tui_send_to(struct tui *t, int origin, cJSON *req, const char *what)
{
	struct tui_conn *c = origin >= 0 && origin < t->nconns ? &t->conns[origin] : &t->conns[0];
	long id = stream_send(c->stream, req);
	if (id <= 0) {
		view_say(&t->view, tui_now_ms(), true, "not connected to the engine");
		return 0;
	}
	if (what != NULL) {
		for (int i = 0; i < TUI_PENDING; i++) {
			if (t->pending[i].id == 0) {
				t->pending[i].id = id * TUI_CONNS + c->origin; /* ids are per connection */
				snprintf(t->pending[i].what, sizeof(t->pending[i].what), "%s", what);
				break;
			}
		}
	}
	return id;
}

static long
tui_send(struct tui *t, cJSON *req, const char *what)
{
	return tui_send_to(t, 0, req, what);
}

static void
tui_on_msg(const cJSON *msg, void *arg)
{
	struct tui_conn *c = arg;
	struct tui *t = c->t;
	if (!c->heard) {
		c->heard = true;
		tui_status(t);
	}
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(msg, "event");
	if (cJSON_IsString(ev) && strcmp(ev->valuestring, "end") == 0) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(msg, "data"),
		    "status");
		c->ended = true;
		c->end_status = cJSON_IsNumber(st) ? (int)st->valuedouble : 1;
		return;
	}
	replica_apply_from(&t->rep, msg, tui_now_ms(), c->origin, t->nconns > 1 ? c->label : NULL);
	unsigned d = t->rep.dirty;
	t->rep.dirty = 0;
	if (d & REPLICA_DIRTY_HEADER)
		t->dirty |= VIEW_REGION_HEADER;
	if (d & REPLICA_DIRTY_TABLE)
		t->dirty |= VIEW_REGION_TABLE;
	if (d & REPLICA_DIRTY_LOGS)
		t->dirty |= VIEW_REGION_LOGS;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	if (!cJSON_IsNumber(id))
		return;
	long key = (long)id->valuedouble * TUI_CONNS + c->origin;
	for (int i = 0; i < TUI_PENDING; i++) {
		if (t->pending[i].id != key)
			continue;
		bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "ok"));
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(msg, "error");
		if (ok)
			view_say(&t->view, tui_now_ms(), false, "%s: done", t->pending[i].what);
		else
			view_say(&t->view, tui_now_ms(), true, "%s: %s", t->pending[i].what,
			    cJSON_IsString(err) ? err->valuestring : "refused");
		t->pending[i].id = 0;
		t->dirty = VIEW_REGION_ALL;
		break;
	}
}

/* Starts `ssh HOST vigil attach --stdio` (VIGIL_SSH names another ssh); its pipes in *rfd, *wfd. */
static pid_t
tui_ssh(const struct tui *t, const char *host, int *rfd, int *wfd)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[0], STDIN_FILENO);
		dup2(in[1], STDOUT_FILENO);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO); /* ssh's own messages would break the screen */
		setsid(); /* no terminal: ssh asks nothing, BatchMode fails fast */
		spawn_reset_signals(); /* the loop blocks SIGTERM: ssh must end when told */
		const char *ssh = getenv("VIGIL_SSH");
		/* The remote shell reads the command line: the file name goes in single quotes. */
		char remote[4200] = "vigil attach --stdio";
		if (t->o->remote_file != NULL) {
			size_t n = strlen(remote);
			n += (size_t)snprintf(remote + n, sizeof(remote) - n, " --file '");
			for (const char *p = t->o->remote_file; *p != '\0' && n + 8 < sizeof(remote); p++) {
				if (*p == '\'')
					n += (size_t)snprintf(remote + n, sizeof(remote) - n, "'\\''");
				else
					remote[n++] = *p;
			}
			snprintf(remote + n, sizeof(remote) - n, "'");
		}
		execlp(ssh != NULL && ssh[0] ? ssh : "ssh", "ssh", "-T", "-o", "BatchMode=yes", host, remote,
		    (char *)NULL);
		_exit(127);
	}
	close(out[0]);
	close(in[1]);
	if (pid < 0) {
		close(in[0]);
		close(out[1]);
		return -1;
	}
	*rfd = in[0];
	*wfd = out[1];
	return pid;
}

/* Connects; on failure, says so and tries again later. */
static void
tui_connect(struct tui_conn *c)
{
	struct tui *t = c->t;
	if (t->o->has_fd) {
		c->stream = stream_new(t->loop, t->o->fd, t->o->fd, tui_on_msg, tui_on_end, c);
		if (c->stream == NULL) {
			snprintf(t->end_why, sizeof(t->end_why), "%s", strerror(errno));
			t->quit = true;
			t->exit_status = 1;
		}
		return;
	}
	int rfd = -1, wfd = -1;
	if (c->ssh_pid > 0) {
		kill(c->ssh_pid, SIGTERM);
		waitpid(c->ssh_pid, NULL, 0);
		c->ssh_pid = 0;
	}
	if (c->host != NULL) {
		c->ssh_pid = tui_ssh(t, c->host, &rfd, &wfd);
		if (c->ssh_pid < 0) {
			c->ssh_pid = 0;
			snprintf(c->why, sizeof(c->why), "ssh: %s", strerror(errno));
		}
	} else {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->o->socket_path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			snprintf(c->why, sizeof(c->why), "%s", strerror(errno));
			if (fd >= 0)
				close(fd);
		} else {
			rfd = wfd = fd;
		}
	}
	if (rfd >= 0)
		c->stream = stream_new(t->loop, rfd, wfd, tui_on_msg, tui_on_end, c);
	if (c->stream == NULL) {
		if (rfd >= 0) {
			close(rfd);
			if (wfd != rfd)
				close(wfd);
		}
		c->attempts++;
		tui_status(t);
		c->retry = loop_timer_after(t->loop, TUI_RETRY_MS, tui_on_retry, c);
		return;
	}
	c->attempts = 0;
	c->heard = false;
	c->ended = false;
	tui_status(t);
	if (t->nconns == 1)
		replica_reset(&t->rep);
	cJSON *sub = cJSON_CreateObject();
	cJSON_AddStringToObject(sub, "cmd", "subscribe");
	cJSON *topics = cJSON_AddArrayToObject(sub, "topics");
	cJSON_AddItemToArray(topics, cJSON_CreateString("state"));
	cJSON_AddItemToArray(topics, cJSON_CreateString("metrics"));
	cJSON_AddItemToArray(topics, cJSON_CreateString("logs"));
	cJSON_AddItemToArray(topics, cJSON_CreateString("alerts"));
	stream_send(c->stream, sub);
	cJSON *logs = cJSON_CreateObject();
	cJSON_AddStringToObject(logs, "cmd", "logs");
	cJSON_AddNumberToObject(logs, "lines", TUI_BACKLOG_LINES);
	stream_send(c->stream, logs);
	t->dirty = VIEW_REGION_ALL;
}

/* ---- actions -------------------------------------------------------------- */

/* The detail view's history of the selected process (asked on Enter, then every tick while open). */
static void
tui_ask_history(struct tui *t)
{
	if (t->o->host_mode || !t->view.detail)
		return;
	const struct replica_proc *p = view_selected(&t->rep, &t->view);
	if (p == NULL)
		return;
	const char *plain = p->name;
	if (t->nconns > 1) {
		const char *slash = strchr(p->name, '/');
		if (slash != NULL)
			plain = slash + 1;
	}
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "history");
	cJSON_AddStringToObject(req, "target", plain);
	cJSON_AddStringToObject(req, "since", "24h");
	stream_send(t->conns[p->origin < t->nconns ? p->origin : 0].stream, req);
}

/*
 * The selection's lines are kept first when others' make room; when some
 * were dropped before it was selected, its tail is asked of its engine (a
 * logs request, as `vigil logs -n` makes), which the replica merges in.
 */
static void
tui_hold_selection(struct tui *t)
{
	if (t->o->host_mode)
		return;
	const struct replica_proc *p = view_selected(&t->rep, &t->view);
	const char *name = p != NULL ? p->name : "";
	if (strcmp(name, t->held) == 0)
		return;
	snprintf(t->held, sizeof(t->held), "%s", name);
	if (!replica_hold(&t->rep, p != NULL ? p->name : NULL))
		return;
	const char *plain = p->name;
	int origin = p->origin < t->nconns ? p->origin : 0;
	size_t ll = strlen(t->conns[origin].label);
	if (t->nconns > 1 && strncmp(plain, t->conns[origin].label, ll) == 0 && plain[ll] == '/')
		plain += ll + 1;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "logs");
	cJSON_AddStringToObject(req, "target", plain);
	cJSON_AddNumberToObject(req, "lines", REPLICA_PROC_LINES);
	stream_send(t->conns[origin].stream, req);
}

/* restart/stop/start of one target, on the engine it came from (without the host's label). */
static void
tui_act(struct tui *t, int origin, const char *cmd, const char *target)
{
	const char *plain = target;
	if (t->nconns > 1 && origin >= 0 && origin < t->nconns) {
		size_t ll = strlen(t->conns[origin].label);
		if (strncmp(target, t->conns[origin].label, ll) == 0 && target[ll] == '/')
			plain = target + ll + 1;
	}
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", cmd);
	cJSON_AddStringToObject(req, "target", plain);
	char what[128];
	snprintf(what, sizeof(what), "%s %s", cmd, target);
	if (tui_send_to(t, origin, req, what) > 0)
		view_say(&t->view, tui_now_ms(), false, "%s …", what);
}

/* r, s, S: the selected process; with a group or tag filter, the whole group or tag after a y. */
static void
tui_action_key(struct tui *t, const char *cmd)
{
	struct view *v = &t->view;
	if (v->group[0] != '\0' || v->tag[0] != '\0') {
		snprintf(t->confirm_cmd, sizeof(t->confirm_cmd), "%s", cmd);
		snprintf(t->confirm_target, sizeof(t->confirm_target), "%c%s", v->group[0] ? '@' : '#',
		    v->group[0] ? v->group : v->tag);
		size_t rows[1024];
		size_t n = view_rows(&t->rep, v, rows, 1024);
		snprintf(v->prompt, sizeof(v->prompt), "%c%s %s (%zu process%s)? [y/N]", toupper(cmd[0]),
		    cmd + 1, t->confirm_target, n, n == 1 ? "" : "es");
		t->prompt = TUI_PROMPT_CONFIRM;
		return;
	}
	const struct replica_proc *p = view_selected(&t->rep, v);
	if (p == NULL) {
		view_say(v, tui_now_ms(), true, "no process selected");
		return;
	}
	tui_act(t, p->origin, cmd, p->name);
}

/* The distinct tags (or groups) of the stack, for Tab in the picker. */
static size_t
tui_choices(const struct replica *r, bool groups, char out[][64], size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nprocs; i++) {
		const char *src = groups ? r->procs[i].group : r->procs[i].tags;
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", src);
		for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
			bool seen = false;
			for (size_t k = 0; k < n; k++)
				seen = seen || strcmp(out[k], tok) == 0;
			if (!seen && n < cap)
				snprintf(out[n++], 64, "%s", tok);
		}
	}
	return n;
}

static void
tui_open_input(struct tui *t, enum tui_prompt kind, const char *prompt, const char *initial)
{
	t->prompt = kind;
	t->pick = -1;
	snprintf(t->view.prompt, sizeof(t->view.prompt), "%s", prompt);
	snprintf(t->view.input, sizeof(t->view.input), "%s", initial);
	t->view.input_mode = true;
	curs_set(1);
}

static void
tui_close_prompt(struct tui *t)
{
	t->prompt = TUI_PROMPT_NONE;
	t->view.prompt[0] = t->view.input[0] = '\0';
	t->view.input_mode = false;
	curs_set(0);
}

/* Enter on an input line. */
static void
tui_input_done(struct tui *t)
{
	struct view *v = &t->view;
	const char *in = v->input;
	int64_t now = tui_now_ms();
	switch (t->prompt) {
	case TUI_PROMPT_TAG:
		snprintf(v->tag, sizeof(v->tag), "%.63s", in[0] == '#' ? in + 1 : in);
		break;
	case TUI_PROMPT_GROUP:
		snprintf(v->group, sizeof(v->group), "%.63s", in[0] == '@' ? in + 1 : in);
		break;
	case TUI_PROMPT_NAME:
		if (!view_set_name_filter(v, in))
			view_say(v, now, true, "not a valid regular expression: %s", in);
		break;
	case TUI_PROMPT_SEARCH:
		if (!view_set_search(v, in))
			view_say(v, now, true, "not a valid regular expression: %s", in);
		else if (in[0] != '\0' && !view_search_next(&t->rep, v, 1))
			view_say(v, now, true, "no line matches /%s", in);
		break;
	default:
		break;
	}
	v->top = 0;
	tui_close_prompt(t);
}

/* A key while an input line is open. */
static void
tui_input_key(struct tui *t, wint_t ch, bool is_key)
{
	struct view *v = &t->view;
	size_t len = strlen(v->input);
	if (!is_key && (ch == 27)) {
		tui_close_prompt(t);
	} else if ((!is_key && (ch == '\n' || ch == '\r')) || (is_key && ch == KEY_ENTER)) {
		tui_input_done(t);
	} else if ((is_key && ch == KEY_BACKSPACE) || (!is_key && (ch == 127 || ch == 8))) {
		if (len > 0)
			v->input[len - 1] = '\0';
	} else if (!is_key && ch == '\t' && (t->prompt == TUI_PROMPT_TAG || t->prompt == TUI_PROMPT_GROUP)) {
		char choices[64][64];
		size_t n = tui_choices(&t->rep, t->prompt == TUI_PROMPT_GROUP, choices, 64);
		if (n > 0) {
			t->pick = (t->pick + 1) % (int)n;
			snprintf(v->input, sizeof(v->input), "%s", choices[t->pick]);
		}
	} else if (!is_key && ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(v->input)) {
		v->input[len] = (char)ch;
		v->input[len + 1] = '\0';
	}
}

/* q, and the answer to its question. */
static void
tui_quit_key(struct tui *t)
{
	if (!t->o->owns_stack || t->conns[0].ended) {
		t->quit = true;
		return;
	}
	t->prompt = TUI_PROMPT_QUIT;
	snprintf(t->view.prompt, sizeof(t->view.prompt), "Stop the stack? [y/N/d=detach]");
}

static void
tui_answer(struct tui *t, wint_t ch)
{
	enum tui_prompt p = t->prompt;
	tui_close_prompt(t);
	if (p == TUI_PROMPT_QUIT) {
		if (ch == 'd' || ch == 'D') {
			t->exit_status = 0;
			t->quit = true;
		} else if (ch == 'y' || ch == 'Y') {
			cJSON *req = cJSON_CreateObject();
			cJSON_AddStringToObject(req, "cmd", "down");
			if (tui_send(t, req, "down") > 0) {
				t->stopping = true;
				snprintf(t->view.status, sizeof(t->view.status), "stopping the stack …");
			} else {
				t->quit = true;
			}
		}
		return;
	}
	if (p == TUI_PROMPT_CONFIRM && (ch == 'y' || ch == 'Y')) {
		if (t->signal_no > 0) {
			cJSON *req = cJSON_CreateObject();
			cJSON_AddStringToObject(req, "cmd", "signal");
			cJSON_AddNumberToObject(req, "pid", t->signal_pid);
			cJSON_AddNumberToObject(req, "signal", t->signal_no);
			char what[96];
			snprintf(what, sizeof(what), "%s to %d", t->signal_no == SIGKILL ? "SIGKILL" : "SIGTERM",
			    (int)t->signal_pid);
			tui_send(t, req, what);
		} else {
			/* A group or tag: on every engine shown. */
			for (int i = 0; i < t->nconns; i++)
				tui_act(t, i, t->confirm_cmd, t->confirm_target);
		}
	}
	t->signal_no = 0;
}

/* vigil top: k and K ask, then signal the selected process. */
static void
tui_signal_key(struct tui *t, int sig)
{
	const struct replica_proc *p = view_selected(&t->rep, &t->view);
	if (p == NULL)
		return;
	t->signal_no = sig;
	t->signal_pid = p->pid;
	snprintf(t->view.prompt, sizeof(t->view.prompt), "Send %s to %d (%s)? [y/N]",
	    sig == SIGKILL ? "SIGKILL" : "SIGTERM", (int)p->pid, p->name);
	t->prompt = TUI_PROMPT_CONFIRM;
}

static void
tui_sort_step(struct view *v, bool host, int step)
{
	int s = (int)v->sort;
	do {
		s += step;
		if (s < 0)
			s = VIEW_SORT_COUNT - 1;
		if (s >= VIEW_SORT_COUNT)
			s = 0;
		/* vigil top has no restarts, health, groups or tags; a stack's table no threads column. */
	} while (host ? (s == VIEW_SORT_RESTARTS || s == VIEW_SORT_HEALTH || s == VIEW_SORT_GROUP ||
	    s == VIEW_SORT_TAGS) : s == VIEW_SORT_THREADS);
	v->sort = (enum view_sort)s;
	/* Numbers read best largest first. */
	v->desc = v->sort == VIEW_SORT_CPU || v->sort == VIEW_SORT_MEM || v->sort == VIEW_SORT_RESTARTS ||
	    v->sort == VIEW_SORT_UPTIME || v->sort == VIEW_SORT_THREADS;
}

static void
tui_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	struct view *v = &t->view;
	if (ev.bstate & BUTTON4_PRESSED) {
		if (v->focus_logs)
			view_scroll_logs(&t->rep, v, 3);
		else
			view_move(&t->rep, v, -3);
	} else if (ev.bstate & BUTTON5_PRESSED) {
		if (v->focus_logs)
			view_scroll_logs(&t->rep, v, -3);
		else
			view_move(&t->rep, v, 3);
	} else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) {
		/* Rows start under the column header, at line 4. */
		int row = ev.y - 4;
		size_t rows[1024];
		size_t n = view_rows(&t->rep, v, rows, 1024);
		if (row >= 0 && v->top + (size_t)row < n && !v->detail) {
			snprintf(v->selected, sizeof(v->selected), "%s", replica_key(&t->rep.procs[rows[v->top + (size_t)row]]));
			v->picked = true;
		}
	}
}

static void
tui_key(struct tui *t, wint_t ch, bool is_key)
{
	struct view *v = &t->view;
	int64_t now = tui_now_ms();
	t->dirty = VIEW_REGION_ALL;
	if (v->input_mode) {
		tui_input_key(t, ch, is_key);
		return;
	}
	if (t->prompt == TUI_PROMPT_QUIT || t->prompt == TUI_PROMPT_CONFIRM) {
		tui_answer(t, is_key ? 0 : ch);
		return;
	}
	if (v->help) {
		v->help = false;
		return;
	}
	int rows, cols;
	getmaxyx(stdscr, rows, cols);
	(void)cols;
	int page = rows / 3 > 1 ? rows / 3 : 1;
	if (is_key) {
		switch (ch) {
		case KEY_UP:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, 1);
			else
				view_move(&t->rep, v, -1);
			break;
		case KEY_DOWN:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, -1);
			else
				view_move(&t->rep, v, 1);
			break;
		case KEY_PPAGE:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, page);
			else
				view_move(&t->rep, v, -page);
			break;
		case KEY_NPAGE:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, -page);
			else
				view_move(&t->rep, v, page);
			break;
		case KEY_HOME:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, (long)t->rep.nlines);
			else
				view_move(&t->rep, v, INT_MIN);
			break;
		case KEY_END:
			if (v->focus_logs)
				view_scroll_logs(&t->rep, v, -(long)t->rep.nlines);
			else
				view_move(&t->rep, v, INT_MAX);
			break;
		case KEY_ENTER:
			v->detail = !v->detail;
			tui_ask_history(t);
			break;
		case KEY_MOUSE:
			tui_mouse(t);
			break;
		case KEY_RESIZE:
			break;
		default:
			break;
		}
		return;
	}
	if (t->o->host_mode) {
		switch (ch) {
		case 'k':
		case 'x':
			tui_signal_key(t, SIGTERM);
			return;
		case 'K':
			tui_signal_key(t, SIGKILL);
			return;
		case 'T':
			v->tree = !v->tree;
			view_say(v, now, false, "%s", v->tree ? "tree: children under their parent" : "flat list");
			return;
		case 'r':
		case 's':
		case 'S':
		case 't':
		case 'g':
		case 'l':
		case 'f':
		case '\t':
		case 'o':
			view_say(v, now, true, "not in vigil top: k/K signal, T tree, / filter, < > F sort");
			return;
		default:
			break;
		}
	}
	switch (ch) {
	case 'q':
		tui_quit_key(t);
		break;
	case 'J':
	case 'j':
		if (v->focus_logs)
			view_scroll_logs(&t->rep, v, -1);
		else
			view_move(&t->rep, v, 1);
		break;
	case 'k':
		if (v->focus_logs)
			view_scroll_logs(&t->rep, v, 1);
		else
			view_move(&t->rep, v, -1);
		break;
	case 'r':
		tui_action_key(t, "restart");
		break;
	case 's':
		tui_action_key(t, "stop");
		break;
	case 'S':
		tui_action_key(t, "start");
		break;
	case 't':
		tui_open_input(t, TUI_PROMPT_TAG, "tag (Tab cycles, Enter filters, empty = all):", v->tag);
		break;
	case 'g':
		tui_open_input(t, TUI_PROMPT_GROUP, "group (Tab cycles, Enter filters, empty = all):", v->group);
		break;
	case '/':
		if (v->focus_logs)
			tui_open_input(t, TUI_PROMPT_SEARCH, "search logs /", v->search_src);
		else
			tui_open_input(t, TUI_PROMPT_NAME, "filter names /", v->name_src);
		break;
	case 'n':
	case 'N':
		if (!v->has_search)
			view_say(v, now, true, "no search (Tab to the logs, then /)");
		else if (!view_search_next(&t->rep, v, ch == 'n' ? 1 : -1))
			view_say(v, now, true, "no %s match for /%s", ch == 'n' ? "older" : "newer", v->search_src);
		break;
	case 27: /* Esc */
		if (v->detail) {
			v->detail = false;
			break;
		}
		v->tag[0] = v->group[0] = '\0';
		view_set_name_filter(v, "");
		view_set_search(v, "");
		view_follow(&t->rep, v, true);
		break;
	case 'l':
		v->logmode = (enum view_logmode)((v->logmode + 1) % 3);
		if (v->logmode == VIEW_LOG_HIDDEN)
			v->focus_logs = false;
		break;
	case 'f':
		view_follow(&t->rep, v, !v->follow);
		break;
	case '\t':
		v->focus_logs = v->logmode != VIEW_LOG_HIDDEN && !v->focus_logs;
		break;
	case '\n':
	case '\r':
		v->detail = !v->detail;
		tui_ask_history(t);
		break;
	case '>':
		tui_sort_step(v, t->o->host_mode, 1);
		break;
	case '<':
		tui_sort_step(v, t->o->host_mode, -1);
		break;
	case 'F':
		v->desc = !v->desc;
		if (v->sort == VIEW_SORT_NONE)
			tui_sort_step(v, t->o->host_mode, 1);
		break;
	case 'o':
		v->own = !v->own;
		view_say(v, now, false, "CPU and MEM: %s", v->own ? "the process alone" : "the process and its descendants");
		break;
	case 'a': {
		const struct replica_alert *al = replica_top_alert(&t->rep);
		if (al == NULL || al->acked) {
			view_say(v, now, false, "no alert to acknowledge");
			break;
		}
		cJSON *req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "ack");
		char id[32];
		snprintf(id, sizeof(id), "%ld", al->id);
		cJSON_AddStringToObject(req, "target", id);
		tui_send_to(t, al->origin, req, "acknowledge the alert");
		break;
	}
	case '?':
	case 'h':
		v->help = true;
		break;
	default:
		break;
	}
}

static void
tui_on_stdin(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	struct tui *t = arg;
	wint_t ch;
	int rc;
	while ((rc = get_wch(&ch)) != ERR)
		tui_key(t, ch, rc == KEY_CODE_YES);
}

/* ---- signals, timer, drawing --------------------------------------------- */

static void
tui_on_signal(struct loop *l, const struct signalfd_siginfo *si, void *arg)
{
	(void)l;
	struct tui *t = arg;
	if (si->ssi_signo == SIGWINCH) {
		/* With SIGWINCH blocked, the new size is ours to read. */
		struct winsize ws;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		t->dirty = VIEW_REGION_ALL;
		return;
	}
	t->quit = true;
	t->exit_status = si->ssi_signo == SIGINT ? 130 : 0;
}

static void
tui_on_tick(struct loop *l, void *arg)
{
	struct tui *t = arg;
	t->dirty |= VIEW_REGION_HEADER | VIEW_REGION_TABLE | VIEW_REGION_FOOTER; /* clock, uptimes, messages expire */
	tui_ask_history(t);
	loop_timer_after(l, t->o->refresh_ms, tui_on_tick, t);
}

static void
tui_before_sleep(struct loop *l, void *arg)
{
	struct tui *t = arg;
	for (int i = 0; i < t->nconns; i++) {
		if (t->conns[i].dead != NULL) {
			stream_free(t->conns[i].dead);
			t->conns[i].dead = NULL;
		}
	}
	if (t->quit) {
		loop_stop(l);
		return;
	}
	if (t->dirty == 0)
		return;
	/* The selection moves only with the table (keys redraw everything): not for each batch of lines. */
	if (t->dirty & VIEW_REGION_TABLE)
		tui_hold_selection(t);
	view_draw_regions(stdscr, &t->rep, &t->view, tui_now_ms(), t->dirty);
	t->dirty = 0;
	wnoutrefresh(stdscr);
	doupdate();
	t->last_draw_ms = tui_now_ms();
}

/* Restores the terminal however the program ends. */
static void
tui_restore(void)
{
	if (!isendwin())
		endwin();
}

int
tui_run(const struct tui_opts *o)
{
	setlocale(LC_ALL, "");
	struct tui t;
	memset(&t, 0, sizeof(t));
	t.o = o;
	t.loop = loop_new();
	if (t.loop == NULL) {
		fprintf(stderr, "vigil: event loop: %s\n", strerror(errno));
		return 1;
	}
	replica_init(&t.rep);
	view_init(&t.view);
	t.view.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	t.view.owns_stack = o->owns_stack;
	if (o->host_mode) {
		t.view.title = "vigil top";
		t.view.host = true;
		t.view.logmode = VIEW_LOG_HIDDEN;
		t.view.sort = VIEW_SORT_CPU;
		t.view.desc = true;
	}
	const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
	loop_signals(t.loop, sigs, 4, tui_on_signal, &t);
	signal(SIGPIPE, SIG_IGN);
	if (newterm(NULL, stdout, stdin) == NULL) {
		fprintf(stderr, "vigil: this terminal (TERM=%s) cannot run the dashboard; try vigil status\n",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		loop_free(t.loop);
		replica_fini(&t.rep);
		return 1;
	}
	atexit(tui_restore);
	const char *nc = getenv("NO_COLOR");
	theme_init(nc == NULL || nc[0] == '\0');
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	loop_watch(t.loop, STDIN_FILENO, LOOP_READ, tui_on_stdin, &t);
	loop_before_sleep(t.loop, tui_before_sleep, &t);
	loop_timer_after(t.loop, o->refresh_ms, tui_on_tick, &t);
	if (o->nssh > 0) {
		for (size_t i = 0; i < o->nssh && i < (size_t)TUI_CONNS; i++) {
			struct tui_conn *c = &t.conns[t.nconns];
			c->t = &t;
			c->origin = t.nconns++;
			c->host = o->ssh_hosts[i];
			const char *at = strchr(c->host, '@');
			snprintf(c->label, sizeof(c->label), "%s", at != NULL ? at + 1 : c->host);
		}
	} else {
		t.conns[0].t = &t;
		t.nconns = 1;
	}
	for (int i = 0; i < t.nconns; i++)
		tui_connect(&t.conns[i]);
	t.dirty = VIEW_REGION_ALL;
	while (!t.quit && loop_run(t.loop) < 0 && errno == EINTR)
		;
	endwin();
	for (int i = 0; i < t.nconns; i++) {
		struct tui_conn *c = &t.conns[i];
		stream_free(c->stream);
		stream_free(c->dead);
		if (c->ssh_pid > 0) {
			kill(c->ssh_pid, SIGTERM);
			waitpid(c->ssh_pid, NULL, 0);
		}
	}
	loop_free(t.loop);
	view_fini(&t.view);
	replica_fini(&t.rep);
	if (o->owns_stack && !t.stopping && t.exit_status == 0 && !t.conns[0].ended)
		printf("vigil: detached; the stack runs on (vigil monit attaches again, vigil down stops it)\n");
	if (t.end_why[0] != '\0')
		fprintf(stderr, "vigil: the process sampler ended (%s)\n", t.end_why);
	return t.exit_status;
}
