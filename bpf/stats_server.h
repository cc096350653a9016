/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scx_stats line protocol, served on a UNIX stream socket by a thread
 * of its own: one JSON request per line, one JSON reply per line.
 *
 *   {"req":"stats","args":{"target":"top"}} -> {"errno":0,"args":{"resp":{...}}}
 *   {"req":"stats_meta"}                    -> {"errno":0,"args":{"resp":{...}}}
 *   anything else                           -> {"errno":22,"args":{"resp":"why"}}
 *
 * What the replies carry is the caller's (ipuswap_stats.c): this file only
 * owns the socket, the thread and the framing.
 */
#ifndef STATS_SERVER_H
#define STATS_SERVER_H

#include <jansson.h>

#define STATS_SOCKET_DFL	"/var/run/scx/root/stats"

/*
 * Called by the server thread, one request at a time; returns a new
 * reference, or NULL with *err set to an errno (the reply says why).
 */
typedef json_t *(*stats_read_fn)(void *ctx, int *err);

struct stats_server;

/*
 * Binds @path (creating its directory). A live server there (connect()
 * succeeds) is never replaced: returns NULL with errno EADDRINUSE; a stale
 * socket file with no listener is. @meta is borrowed for the server's life.
 */
struct stats_server *stats_server_start(const char *path, json_t *meta,
					stats_read_fn read, void *ctx);

/* Swap the reader's context (e.g. a new skeleton after a restart; NULL: EAGAIN). */
void stats_server_set_ctx(struct stats_server *srv, void *ctx);

/* Stops the thread, closes every connection and removes the socket file. */
void stats_server_stop(struct stats_server *srv);

#endif /* STATS_SERVER_H */
