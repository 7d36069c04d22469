#include "image/lazy.h"

#include <dlfcn.h>

int lazy_load(struct lazy_library *lib, struct err *err)
{
        if (lib->loaded)
                return 0;
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(err, -ENOENT, "load %s (install %s): %s", lib->name, lib->package, dlerror());
        for (size_t i = 0; i < lib->n_symbols; i++) {
                void *sym = dlsym(h, lib->symbols[i].name);
                if (!sym)
                        return err_set(err, -ENOENT, "%s has no %s", lib->name, lib->symbols[i].name);
                *(void **)((char *)lib->table + lib->symbols[i].offset) = sym;
        }
        lib->loaded = true;
        return 0;
}
