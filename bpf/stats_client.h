/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of the scx_stats line protocol (stats_server.h), for
 * scx_ipuswap --monitor: connect, send one request line, read one reply.
 */
#ifndef STATS_CLIENT_H
#define STATS_CLIENT_H

#include <jansson.h>

/* A connected socket, or a negative errno (-ENOENT, -ECONNREFUSED: no server). */
int stats_client_connect(const char *path);

/*
 * Sends @req (one JSON object) and waits up to @timeout_ms for the reply
 * line. Returns the parsed reply (a new reference), or NULL with errno set
 * (EPIPE: the server went away, ETIMEDOUT, EPROTO: not a JSON reply).
 */
json_t *stats_client_request(int fd, json_t *req, int timeout_ms);

#endif /* STATS_CLIENT_H */
