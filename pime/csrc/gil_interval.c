/* The switch interval of the main interpreter's GIL, read and written by a thread that
 * does not hold the GIL (pool/gil_handoff.rs), on CPython 3.12 and newer.
 *
 * Up to 3.11 CPython exports `_PyEval_SetSwitchInterval`, which needs no thread state;
 * from 3.12 the interval lives in the interpreter's private GIL struct, and the setter
 * (no longer exported in 3.13) finds it through the calling thread's state. This file
 * is compiled against the internal headers of the very CPython PyO3 builds against
 * (build.rs), so the struct's layout is that version's. The Rust side uses it only
 * when `pime_gil_layout_matches` says the running interpreter is exactly that version,
 * and the fields then read as it expects (checked once, holding the GIL). */
#define Py_BUILD_CORE 1
#include "Python.h"
#include "internal/pycore_interp.h"

/* Whether the running CPython is the very version whose headers this was compiled
 * with (so its structs have the layout compiled in). Reads nothing else. */
int pime_gil_layout_matches(void) { return Py_Version == PY_VERSION_HEX; }

static struct _gil_runtime_state *main_gil(void) {
    return PyInterpreterState_Main()->ceval.gil;
}

/* The interval in microseconds. CPython's waiters read it under the GIL's mutex, its
 * setter writes it without: an aligned word, written and read whole. */
unsigned long pime_gil_interval(void) {
    return __atomic_load_n(&main_gil()->interval, __ATOMIC_RELAXED);
}

void pime_gil_set_interval(unsigned long microseconds) {
    __atomic_store_n(&main_gil()->interval, microseconds, __ATOMIC_RELAXED);
}

/* For the check at start, made holding the GIL: the thread state that holds it last,
 * and whether it is taken. */
void *pime_gil_last_holder(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return (void *)main_gil()->last_holder;
#else
    return (void *)main_gil()->last_holder._value;
#endif
}

int pime_gil_locked(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return main_gil()->locked;
#else
    return main_gil()->locked._value;
#endif
}
