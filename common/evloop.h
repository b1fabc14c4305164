/* evloop.h - placeholder until the module lands. */
#ifndef OVPN_EVLOOP_H
#define OVPN_EVLOOP_H
#endif
