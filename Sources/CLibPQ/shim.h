// The system libpq (PostgreSQL's C client), for the WorkflowPostgres state backend.
#ifndef JUMPCHAIN_CLIBPQ_SHIM_H
#define JUMPCHAIN_CLIBPQ_SHIM_H

#include <libpq-fe.h>

// The SQLSTATE field code (a character-literal macro Swift imports unreliably).
static inline int clibpq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }

#endif
