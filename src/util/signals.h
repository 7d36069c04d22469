/* signals.h: signal names and numbers, as kill(1) and runc spell them. */
#pragma once

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" -> the number; -EINVAL otherwise. */
int signal_parse(const char *s);
