/*
 * fuzz_proto — a libFuzzer target for the control protocol's request
 * decoder: any bytes, as one request line, must decode or be refused with
 * a message, without a crash, a leak or undefined behaviour; the reply to
 * it must encode. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req req;
	char err[512];
	char *reply;
	if (proto_parse_request((const char *)data, size, &req, err, sizeof(err))) {
		/* What the handler relies on: bounded targets, and a known command. */
		if (req.ntargets > PROTO_MAX_TARGETS || req.cmd >= PROTO_CMD_COUNT)
			abort();
		for (size_t i = 0; i < req.ntargets; i++)
			if (req.targets[i] == NULL || req.targets[i][0] == '\0')
				abort();
		reply = proto_reply_ok(&req, NULL);
		proto_req_fini(&req);
	} else {
		if (req.json != NULL || memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		reply = proto_reply_error(req.has_id, req.id, "%s", err);
	}
	if (reply == NULL || reply[strlen(reply) - 1] != '\n')
		abort();
	free(reply);
	return 0;
}
