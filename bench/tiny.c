/*
 * tiny — the child respawned by bench/respawn.py. At start it reads
 * CLOCK_MONOTONIC; just before _exit it reads it again and appends one
 * line "START_NS EXIT_NS\n" to FILE (O_APPEND: one write, atomic), then
 * exits with status CODE (default 1: a crash to a supervisor; 0: a clean
 * exit). Nothing on stdout, so the supervisor does no log work and the
 * engine and the floor loop do the same job.
 *
 *	tiny FILE [CODE]
 */
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Writes v in decimal at p; returns the end. */
static char *
put(char *p, int64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

int
main(int argc, char **argv)
{
	int64_t start = now_ns();
	if (argc < 2)
		_exit(2);
	int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	char buf[64], *p = buf;
	p = put(p, start);
	*p++ = ' ';
	int64_t end = now_ns();
	p = put(p, end);
	*p++ = '\n';
	if (fd >= 0 && write(fd, buf, (size_t)(p - buf)) < 0)
		_exit(3);
	int code = 1;
	if (argc > 2 && argv[2][0] >= '0' && argv[2][0] <= '9')
		code = argv[2][0] - '0';
	_exit(code);
}
