#include "cookie.h"
