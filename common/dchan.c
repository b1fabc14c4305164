#include "dchan.h"
