/* push.h - placeholder until the module lands. */
#ifndef OVPN_PUSH_H
#define OVPN_PUSH_H
#endif
