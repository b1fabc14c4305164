/* conf.h - placeholder until the module lands. */
#ifndef OVPN_CONF_H
#define OVPN_CONF_H
#endif
