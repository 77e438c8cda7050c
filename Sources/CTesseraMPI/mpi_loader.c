// Why dlopen and not -lmpi: Open MPI is optional (a build without it must work), and SwiftPM
// cannot make a link flag depend on what the machine has. The handles MPI_COMM_WORLD, MPI_FLOAT,
// MPI_DOUBLE are, in Open MPI's ABI, the addresses of its global objects ompi_mpi_comm_world,
// ompi_mpi_float, ompi_mpi_double (mpi.h: `#define MPI_FLOAT OMPI_PREDEFINED_GLOBAL(MPI_Datatype,
// ompi_mpi_float)`), so dlsym finds them as it finds the functions. MPICH's ABI differs: Open MPI only.
#include "tessera_mpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *Handle;  // MPI_Comm, MPI_Datatype: pointers in Open MPI

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*comm_rank)(Handle, int *);
    int (*comm_size)(Handle, int *);
    int (*barrier)(Handle);
    int (*allgatherv)(const void *, int, Handle, void *, const int *, const int *, Handle, Handle);
    int (*alltoallv)(const void *, const int *, const int *, Handle, void *, const int *, const int *, Handle, Handle);
    int (*finalize)(void);
    Handle world, float_, double_;
} mpi;

enum { THREAD_FUNNELED = 1 };  // Open MPI's MPI_THREAD_FUNNELED

static void *symbol(void *library, const char *name, char *message, size_t size) {
    void *address = dlsym(library, name);
    if (!address) snprintf(message, size, "%s has no symbol %s: not Open MPI 4 or later", "libmpi", name);
    return address;
}

int tessera_mpi_load(char *message, size_t size) {
    if (mpi.world) return 0;
    const char *path = getenv("TESSERA_MPI_LIBRARY");
    if (!path || !*path) path = "libmpi.so.40";
    // RTLD_GLOBAL: Open MPI's own plug-ins, which it dlopens in turn, resolve libmpi's symbols.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(message, size, "cannot load Open MPI's %s (%s); install it (Debian: apt install openmpi-bin libopenmpi3) "
                 "or name the library in TESSERA_MPI_LIBRARY", path, dlerror());
        return -1;
    }
#define RESOLVE(field, name) if (!(*(void **)&mpi.field = symbol(library, name, message, size))) return -1
    RESOLVE(init_thread, "MPI_Init_thread");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(barrier, "MPI_Barrier");
    RESOLVE(allgatherv, "MPI_Allgatherv");
    RESOLVE(alltoallv, "MPI_Alltoallv");
    RESOLVE(finalize, "MPI_Finalize");
    RESOLVE(float_, "ompi_mpi_float");
    RESOLVE(double_, "ompi_mpi_double");
    RESOLVE(world, "ompi_mpi_comm_world");
#undef RESOLVE
    return 0;
}

int tessera_mpi_init(void) {
    if (!mpi.world) return -1;
    int provided = 0;
    return mpi.init_thread(NULL, NULL, THREAD_FUNNELED, &provided);
}

int tessera_mpi_rank(int *rank) { return mpi.world ? mpi.comm_rank(mpi.world, rank) : -1; }
int tessera_mpi_size(int *size) { return mpi.world ? mpi.comm_size(mpi.world, size) : -1; }
int tessera_mpi_barrier(void) { return mpi.world ? mpi.barrier(mpi.world) : -1; }

int tessera_mpi_allgatherv_float(const float *send, int count, float *receive, const int *counts, const int *displacements) {
    return mpi.world ? mpi.allgatherv(send, count, mpi.float_, receive, counts, displacements, mpi.float_, mpi.world) : -1;
}

int tessera_mpi_allgatherv_double(const double *send, int count, double *receive, const int *counts, const int *displacements) {
    return mpi.world ? mpi.allgatherv(send, count, mpi.double_, receive, counts, displacements, mpi.double_, mpi.world) : -1;
}

int tessera_mpi_alltoallv_float(const float *send, const int *sendCounts, const int *sendDisplacements,
                                float *receive, const int *receiveCounts, const int *receiveDisplacements) {
    return mpi.world ? mpi.alltoallv(send, sendCounts, sendDisplacements, mpi.float_, receive, receiveCounts,
                                     receiveDisplacements, mpi.float_, mpi.world) : -1;
}

int tessera_mpi_finalize(void) { return mpi.world ? mpi.finalize() : -1; }
