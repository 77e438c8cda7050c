// Open MPI through its C API, loaded at run time (dlopen of libmpi.so.40) so that a build never
// needs Open MPI: only `mpirun -np R tessera distill` does. Every function returns 0 on success,
// else MPI's error code (or -1 when the library is not loaded); `tessera_mpi_load` writes why it
// failed into `message`.
#ifndef TESSERA_MPI_H
#define TESSERA_MPI_H

#include <stddef.h>

/// Loads libmpi (TESSERA_MPI_LIBRARY, else libmpi.so.40) and resolves what Tessera calls.
int tessera_mpi_load(char *message, size_t size);
/// MPI_Init_thread with MPI_THREAD_FUNNELED: only the calling thread talks to MPI.
int tessera_mpi_init(void);
int tessera_mpi_rank(int *rank);
int tessera_mpi_size(int *size);
int tessera_mpi_barrier(void);
/// MPI_Allgatherv of floats (counts and displacements in elements, one per rank).
int tessera_mpi_allgatherv_float(const float *send, int count, float *receive, const int *counts, const int *displacements);
/// MPI_Allgatherv of doubles.
int tessera_mpi_allgatherv_double(const double *send, int count, double *receive, const int *counts, const int *displacements);
/// MPI_Alltoallv of floats.
int tessera_mpi_alltoallv_float(const float *send, const int *sendCounts, const int *sendDisplacements,
                                float *receive, const int *receiveCounts, const int *receiveDisplacements);
int tessera_mpi_finalize(void);

#endif
