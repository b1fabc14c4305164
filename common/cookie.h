/* cookie.h - placeholder until the module lands. */
#ifndef OVPN_COOKIE_H
#define OVPN_COOKIE_H
#endif
