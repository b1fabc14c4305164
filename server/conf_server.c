#include "conf_server.h"
