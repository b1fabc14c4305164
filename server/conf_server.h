/* conf_server.h - placeholder until the module lands. */
#ifndef OVPN_CONF_SERVER_H
#define OVPN_CONF_SERVER_H
#endif
