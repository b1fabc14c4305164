/*
 * engine.h - the server's event loop and everything it owns: the UDP
 * socket, the TUN device, the peers, the address pool and the cookie key.
 *
 * One engine runs on one thread.  It is the only place where sockets are
 * read or written; session.c and datapath.c are called from here with the
 * packet and the current time.
 */
#ifndef OVPN_ENGINE_H
#define OVPN_ENGINE_H

#include "conf_server.h"

struct engine;

/* Build everything from a parsed config: TLS context, TUN device (address,
 * MTU, up), UDP socket, signal handling.  On failure logs why and returns a
 * negative code; engine_free() is still safe to call. */
int engine_new(struct server_conf *conf, struct engine **out);
/* Serve until SIGINT/SIGTERM; then tell every client (RESTART), wait briefly
 * for their acknowledgements, and return 0. */
int engine_run(struct engine *e);
struct sdnotify;
/* Report reloads (and the watchdog) to systemd through sd; may be disabled. */
void engine_set_sdnotify(struct engine *e, const struct sdnotify *sd);
/* Close every client, remove the TUN device, release everything. */
void engine_free(struct engine *e);

#endif
