#include "tun.h"
