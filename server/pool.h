/* pool.h - placeholder until the module lands. */
#ifndef OVPN_POOL_H
#define OVPN_POOL_H
#endif
