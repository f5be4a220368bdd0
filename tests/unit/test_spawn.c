/*
 * test_spawn — a spawned process really gets what spawn promises: its own
 * session, stdin on /dev/null, stdout and stderr on the pipes, no other
 * descriptor, an empty signal mask and default dispositions, the given
 * environment, cwd, umask and rlimits; and failures come back as reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include "core/config.h"
#include "core/spawn.h"

/* Reads fd to EOF into buf (NUL-terminated); the fds are non-blocking. */
static size_t
drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_true(poll(&p, 1, 5000) == 1);
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r == 0)
			break;
		if (r < 0 && errno == EAGAIN)
			continue;
		assert_true(r > 0);
		n += (size_t)r;
		assert_true(n < size - 1);
	}
	buf[n] = '\0';
	return n;
}

/* Spawns o, reads both pipes to EOF, reaps the child; its wait status. */
static int
collect(const struct spawn_opts *o, char *out, size_t out_size, char *errout, size_t err_size)
{
	struct spawn_result r;
	char err[256];
	assert_int_equal(spawn_process(o, &r, err, sizeof(err)), 0);
	assert_true(fcntl(r.out_fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(r.out_fd, F_GETFD) & FD_CLOEXEC);
	drain(r.out_fd, out, out_size);
	drain(r.err_fd, errout, err_size);
	int status;
	assert_int_equal(waitpid(r.pid, &status, 0), r.pid);
	close(r.out_fd);
	close(r.err_fd);
	return status;
}

static int
run_shell(const char *script, const char *cwd, char *const *envp, const struct spec_limits *lim,
    int umask_v, char *out, size_t out_size, char *errout, size_t err_size)
{
	const char *argv[] = {script, NULL};
	struct spec_command cmd = {.shell = true, .argv = argv, .argc = 1};
	struct spawn_opts o = {.cmd = &cmd, .cwd = cwd, .envp = envp, .umask = umask_v, .limits = lim};
	return collect(&o, out, out_size, errout, err_size);
}

static void
test_hygiene(void **state)
{
	(void)state;
	/* A blocked signal and an ignored one in the engine must not reach the child. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR2, SIG_IGN);
	int leak = open("/dev/null", O_RDONLY); /* not close-on-exec on purpose */
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", (char *)"GREETING=hi there", NULL};
	char out[8192], err[1024];
	int status = run_shell(
	    "echo sid=$(ps -o sid= -p $$ | tr -d ' ') pid=$$; "
	    "echo fds=$(ls /proc/self/fd | tr '\\n' ' '); "
	    "grep -E '^(SigBlk|SigIgn)' /proc/self/status; "
	    "echo stdin=$(readlink /proc/self/fd/0); echo greeting=$GREETING; "
	    "echo oops >&2; exit 4",
	    NULL, envp, NULL, -1, out, sizeof(out), err, sizeof(err));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);
	close(leak);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 4);
	int sid = -1, pid = -2;
	assert_int_equal(sscanf(strstr(out, "sid="), "sid=%d pid=%d", &sid, &pid), 2);
	assert_int_equal(sid, pid); /* its own session */
	/* ls sees 0, 1, 2 and its own directory fd (3) only. */
	if (strstr(out, "fds=0 1 2 3\n") == NULL)
		fail_msg("unexpected descriptors: %s", out);
	assert_non_null(strstr(out, "SigBlk:\t0000000000000000\n"));
	assert_non_null(strstr(out, "SigIgn:\t0000000000000000\n"));
	assert_non_null(strstr(out, "stdin=/dev/null\n"));
	assert_non_null(strstr(out, "greeting=hi there\n"));
	assert_string_equal(err, "oops\n");
}

static void
test_cwd_umask_limits(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-spawn-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct spec_limits lim = {.memory = -1, .cpu = -1, .nofile = 123, .nproc = -1, .core = 0};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	char out[1024], err[1024];
	int status = run_shell("pwd; umask; ulimit -n; ulimit -c", dir, envp, &lim, 027,
	    out, sizeof(out), err, sizeof(err));
	assert_int_equal(WEXITSTATUS(status), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s\n0027\n123\n0\n", dir);
	assert_string_equal(out, want);
	rmdir(dir);
}

static void
test_argv_no_shell(void **state)
{
	(void)state;
	const char *argv[] = {"printf", "%s|", "a b", "$HOME", "", NULL};
	struct spec_command cmd = {.shell = false, .argv = argv, .argc = 5};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct spawn_opts o = {.cmd = &cmd, .envp = envp, .umask = -1};
	char out[256], e2[256];
	collect(&o, out, sizeof(out), e2, sizeof(e2));
	assert_string_equal(out, "a b|$HOME||"); /* no shell: nothing expanded */
}

static void
expect_failure(const char *prog, const char *cwd, const char *user, const char *want)
{
	const char *argv[] = {prog, NULL};
	struct spec_command cmd = {.shell = false, .argv = argv, .argc = 1};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct spawn_opts o = {.cmd = &cmd, .cwd = cwd, .envp = envp, .user = user, .umask = -1};
	struct spawn_result r = {.pid = -1};
	char err[256] = "";
	assert_int_equal(spawn_process(&o, &r, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* The failed child was reaped: no zombie left for anyone. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_failures(void **state)
{
	(void)state;
	expect_failure("./no-such-api", NULL, NULL, "./no-such-api: No such file or directory");
	expect_failure("no-such-program-xyz", NULL, NULL, "no-such-program-xyz: No such file or directory");
	expect_failure("/etc/passwd", NULL, NULL, "/etc/passwd: Permission denied");
	expect_failure("true", "/no/such/dir", NULL, "cwd /no/such/dir: No such file or directory");
	if (geteuid() == 0) {
		expect_failure("true", NULL, "no-such-user-xyz", "user no-such-user-xyz: no such user");
		expect_failure("true", NULL, "nobody:no-such-group-xyz",
		    "group no-such-group-xyz: no such group");
		expect_failure("true", NULL, "4294967295", "user 4294967295: no such user");
	}
}

/* A thread that waits until its pipe closes. */
static void *
idle_thread(void *arg)
{
	char c;
	while (read(*(int *)arg, &c, 1) > 0)
		;
	return NULL;
}

static void
test_user(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	const char *argv[] = {"id -un; id -gn", NULL};
	struct spec_command cmd = {.shell = true, .argv = argv, .argc = 1};
	char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	struct spawn_opts o = {.cmd = &cmd, .envp = envp, .user = "nobody:nogroup", .umask = -1};
	char out[256], e2[256];
	collect(&o, out, sizeof(out), e2, sizeof(e2));
	assert_string_equal(out, "nobody\nnogroup\n");

	/* A number needs no entry, as under systemd and docker: its group is the
	 * same number, or the one after ':'; a uid with an entry gets its group. */
	const char *ids[] = {"id -u; id -g; id -G", NULL};
	struct spec_command idcmd = {.shell = true, .argv = ids, .argc = 1};
	struct spawn_opts io = {.cmd = &idcmd, .envp = envp, .umask = -1};
	static const struct {
		const char *user, *want;
	} cases[] = {
		{"54321", "54321\n54321\n54321\n"},
		{"54321:54322", "54321\n54322\n54322\n"},
		{"nobody:54322", "65534\n54322\n54322\n"},
		{"65534", "65534\n65534\n65534\n"}, /* nobody, by its uid: nogroup */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i >= 2 && (getpwnam("nobody") == NULL || getpwnam("nobody")->pw_uid != 65534 ||
		    getpwnam("nobody")->pw_gid != 65534))
			break;
		io.user = cases[i].user;
		collect(&io, out, sizeof(out), e2, sizeof(e2));
		assert_string_equal(out, cases[i].want);
	}

	/* With another thread in the engine (libcurl's resolver has some): the
	 * switch in the child is its own, not a change of every thread's ids. */
	pthread_t th;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pthread_create(&th, NULL, idle_thread, &pfd[0]), 0);
	for (int i = 0; i < 20; i++) {
		collect(&o, out, sizeof(out), e2, sizeof(e2));
		assert_string_equal(out, "nobody\nnogroup\n");
	}
	assert_int_equal(getuid(), 0); /* the engine's own ids are untouched */

	/* The parent-death signal survives the switch (the kernel clears it at a change of ids). */
	const char *pd[] = {"python3", "-c", "import ctypes; v = ctypes.c_int(); "
	    "ctypes.CDLL(None).prctl(2, ctypes.byref(v)); print(v.value)", NULL};
	struct spec_command pdcmd = {.shell = false, .argv = pd, .argc = 3};
	o.cmd = &pdcmd;
	collect(&o, out, sizeof(out), e2, sizeof(e2));
	assert_string_equal(out, "9\n"); /* SIGKILL */
	close(pfd[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	close(pfd[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hygiene),
		cmocka_unit_test(test_cwd_umask_limits),
		cmocka_unit_test(test_argv_no_shell),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
