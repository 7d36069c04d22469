#include "oci/selfexe.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool selfexe_is_sealed(void)
{
        _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & SEALS) == SEALS;
}

static int copy_all(int to, int from, off_t size)
{
        while (size > 0) {
                ssize_t n = sendfile(to, from, NULL, (size_t)size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return neg_errno();
                }
                if (n == 0)
                        return -EIO;
                size -= n;
        }
        return 0;
}

int selfexe_reexec_sealed(char **argv, struct err *err)
{
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return err_errno(err, neg_errno(), "open /proc/self/exe");
        struct stat st;
        if (fstat(self, &st) < 0)
                return err_errno(err, neg_errno(), "stat /proc/self/exe");
        _cleanup_close_ int mfd = memfd_create("staple-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return err_errno(err, neg_errno(), "memfd_create");
        int r = copy_all(mfd, self, st.st_size);
        if (r < 0)
                return err_errno(err, r, "copy the runtime binary");
        if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
                return err_errno(err, neg_errno(), "seal the runtime binary copy");
        fexecve(mfd, argv, environ);
        return err_errno(err, neg_errno(), "re-execute the sealed runtime binary");
}
