/*
 * ctl.h - `ovpn-endpoint ctl ...`: the admin CLI over the management socket.
 */
#ifndef OVPN_CTL_H
#define OVPN_CTL_H

/* argv[0] is "ctl"; returns the process exit status. */
int ctl_main(int argc, char **argv);

#endif
