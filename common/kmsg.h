/* kmsg.h - placeholder until the module lands. */
#ifndef OVPN_KMSG_H
#define OVPN_KMSG_H
#endif
