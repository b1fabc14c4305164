/* ovpn-pki - placeholder until the tool lands. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "ovpn-pki: not built yet\n");
	return 1;
}
