/* wire.h - placeholder until the module lands. */
#ifndef OVPN_WIRE_H
#define OVPN_WIRE_H
#endif
