#!/bin/sh
# Die by a signal.
kill -9 $$
