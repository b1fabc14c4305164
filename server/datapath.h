/* datapath.h - placeholder until the module lands. */
#ifndef OVPN_DATAPATH_H
#define OVPN_DATAPATH_H
#endif
