/* The fakes as the scenario runner uses them: faults and paired daemons. */
#ifndef SL_FAKE_RUNNER_H
#define SL_FAKE_RUNNER_H

#include "runner.h"

/* The fake hypervisor's faults and the fake daemons paired with libvirt's
 * test driver, for sl_run_options.sim. A static table: never freed. The
 * fake backend must be registered (sl_fake_hv_register()). */
const sl_run_sim *sl_fake_run_sim(void);

#endif /* SL_FAKE_RUNNER_H */
