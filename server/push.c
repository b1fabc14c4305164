#include "push.h"
