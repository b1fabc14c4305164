/* keys.h - placeholder until the module lands. */
#ifndef OVPN_KEYS_H
#define OVPN_KEYS_H
#endif
