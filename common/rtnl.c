#include "rtnl.h"
