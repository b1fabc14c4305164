/* session.h - placeholder until the module lands. */
#ifndef OVPN_SESSION_H
#define OVPN_SESSION_H
#endif
