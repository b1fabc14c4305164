/* reliable.h - placeholder until the module lands. */
#ifndef OVPN_RELIABLE_H
#define OVPN_RELIABLE_H
#endif
