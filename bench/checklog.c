/*
 * checklog — checks that FILE holds exactly the lines "1" … "N" in order,
 * as `seq N` prints them. With -s each line is a vigil log line
 * ("2026-11-24T09:21:49.123Z out TEXT"): the stamp and the stream tag
 * "out " are checked and skipped. Prints "ok N" or the first problem and
 * exits 1.
 *
 *	checklog [-s] N FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int stamped = 0, a = 1;
	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		stamped = 1;
		a = 2;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: checklog [-s] N FILE\n");
		return 2;
	}
	long n = atol(argv[a]);
	int fd = open(argv[a + 1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("cannot open %s\n", argv[a + 1]);
		return 1;
	}
	const char *p = "", *end = p;
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			printf("mmap failed\n");
			return 1;
		}
		end = p + st.st_size;
	}
	long want = 1;
	char num[24];
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			printf("line %ld: no newline at the end of the file\n", want);
			return 1;
		}
		const char *t = p;
		if (stamped) {
			/* 24 bytes of stamp, a space, "out ", then the text */
			if (nl - p < 29 || p[10] != 'T' || p[23] != 'Z' || memcmp(p + 24, " out ", 5) != 0) {
				printf("line %ld: not a vigil log line: %.*s\n", want, (int)(nl - p), p);
				return 1;
			}
			t = p + 29;
		}
		int len = snprintf(num, sizeof(num), "%ld", want);
		if (nl - t != len || memcmp(t, num, (size_t)len) != 0) {
			printf("line %ld: expected %s, found %.*s\n", want, num, (int)(nl - t), t);
			return 1;
		}
		want++;
		p = nl + 1;
	}
	if (want - 1 != n) {
		printf("%ld lines, expected %ld\n", want - 1, n);
		return 1;
	}
	printf("ok %ld\n", n);
	return 0;
}
