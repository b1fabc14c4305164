/* rtnl.h - placeholder until the module lands. */
#ifndef OVPN_RTNL_H
#define OVPN_RTNL_H
#endif
