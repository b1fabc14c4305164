#include "reliable.h"
