/* defuse-sim-umockdev.c: the ioctl transport through umockdev's API, a
 * UMockdevIoctlBase handler attached to each node (--ioctl=umockdev).
 *
 * umockdev calls the handler on its worker thread, which serves every
 * program and device of the run: a held ioctl must not sleep there.  It is
 * completed later from the clock thread (umockdev_ioctl_client_complete()
 * is thread-safe), as libusb's and umockdev's own handlers may do. */
#include "defuse-sim.h"

#define DEFUSE_SIM_TYPE_HANDLER (defuse_sim_handler_get_type ())
G_DECLARE_FINAL_TYPE (DefuseSimHandler, defuse_sim_handler, DEFUSE_SIM, HANDLER, UMockdevIoctlBase)

struct _DefuseSimHandler {
  UMockdevIoctlBase parent_instance;
  DefuseSim        *sim;
};

G_DEFINE_TYPE (DefuseSimHandler, defuse_sim_handler, UMOCKDEV_TYPE_IOCTL_BASE)

typedef struct {
  DefuseSimMem       mem;  /* first: the public view */
  UMockdevIoctlData *data;
} Mem;

typedef struct {
  DefuseSimCall        call; /* first */
  DefuseSim           *sim;
  UMockdevIoctlClient *ioc;
} Call;

typedef struct {
  Call             *call;
  DefuseSimFireFunc fire;
  gpointer          data;
  GDestroyNotify    destroy;
} Hold;

static DefuseSimMem *
mem_wrap (UMockdevIoctlData *data)
{
  Mem *mem = g_new0 (Mem, 1);

  mem->mem.ref = 1;
  mem->data = data;
  mem->mem.data = data->data;
  mem->mem.len = (gsize) data->data_len;
  mem->mem.client_addr = data->client_addr;
  return &mem->mem;
}

static void
mem_unref (DefuseSimMem *mem)
{
  Mem *self = (Mem *) mem;

  if (defuse_sim_mem_release (mem))
    {
      g_object_unref (self->data);
      g_free (self);
    }
}

static DefuseSimMem *
mem_resolve (DefuseSimCall *call, DefuseSimMem *parent, gsize offset, gsize len)
{
  UMockdevIoctlData *data = umockdev_ioctl_data_resolve (((Mem *) parent)->data, offset, len, NULL);

  if (data == NULL)
    return NULL;
  g_atomic_int_inc (&((Call *) call)->sim->n_mem_round_trips);
  return mem_wrap (data);
}

static void
mem_set_ptr (DefuseSimMem *parent, gsize offset, DefuseSimMem *child)
{
  umockdev_ioctl_data_set_ptr (((Mem *) parent)->data, offset, ((Mem *) child)->data);
}

static void
call_free (Call *call)
{
  mem_unref (call->call.arg);
  g_object_unref (call->ioc);
  g_free (call);
}

static void
call_complete (DefuseSimCall *call, glong result, gint errnum)
{
  Call *self = (Call *) call;

  umockdev_ioctl_client_complete (self->ioc, result, errnum);
  call_free (self);
}

static void
hold_fire (gpointer data)
{
  Hold *hold = data;
  DefuseSim *sim = hold->call->sim;
  gint errnum = 0;
  glong result;

  g_rec_mutex_lock (&sim->lock);
  result = hold->fire (hold->data, &errnum);
  umockdev_ioctl_client_complete (hold->call->ioc, result, errnum);
  g_clear_pointer (&hold->call, call_free);
  g_rec_mutex_unlock (&sim->lock);
}

/* also when the run ends first: the program is gone then, nobody waits */
static void
hold_free (gpointer data)
{
  Hold *hold = data;

  if (hold->destroy != NULL)
    hold->destroy (hold->data);
  g_clear_pointer (&hold->call, call_free);
  g_free (hold);
}

static void
call_hold (DefuseSimCall *call, gint64 at_us, DefuseSimFireFunc fire, gpointer data,
           GDestroyNotify destroy)
{
  Hold *hold = g_new0 (Hold, 1);

  hold->call = (Call *) call;
  hold->fire = fire;
  hold->data = data;
  hold->destroy = destroy;
  defuse_sim_clock_schedule (hold->call->sim->clock, at_us, hold_fire, hold, hold_free);
}

static gboolean
defuse_sim_handler_handle_ioctl (UMockdevIoctlBase *base, UMockdevIoctlClient *ioc)
{
  DefuseSimHandler *self = DEFUSE_SIM_HANDLER (base);
  DefuseSimClient *client = g_object_get_data (G_OBJECT (ioc), "defuse-sim-client");
  Call *call;

  if (client == NULL)
    {
      client = defuse_sim_client_new (self->sim, umockdev_ioctl_client_get_devnode (ioc));
      g_object_set_data_full (G_OBJECT (ioc), "defuse-sim-client", client,
                              (GDestroyNotify) defuse_sim_client_free);
    }
  call = g_new0 (Call, 1);
  call->sim = self->sim;
  call->ioc = g_object_ref (ioc);
  call->call.backend = &defuse_sim_backend_umockdev;
  call->call.client = client;
  call->call.request = umockdev_ioctl_client_get_request (ioc);
  call->call.arg = mem_wrap (g_object_ref (umockdev_ioctl_client_get_arg (ioc)));
  defuse_sim_usbdevfs_handle (self->sim, &call->call);
  return TRUE;
}

static void
defuse_sim_handler_class_init (DefuseSimHandlerClass *klass)
{
  UMockdevIoctlBaseClass *base_class = UMOCKDEV_IOCTL_BASE_CLASS (klass);

  base_class->handle_ioctl = defuse_sim_handler_handle_ioctl;
}

static void
defuse_sim_handler_init (DefuseSimHandler *self)
{
}

static gboolean
backend_attach (DefuseSim *sim, const gchar *devnode, GError **error)
{
  if (sim->backend_data == NULL)
    {
      DefuseSimHandler *handler = g_object_new (DEFUSE_SIM_TYPE_HANDLER, NULL);
      handler->sim = sim;
      sim->backend_data = handler;
    }
  return umockdev_testbed_attach_ioctl (sim->testbed, devnode, sim->backend_data, error);
}

static void
backend_detach (DefuseSim *sim, const gchar *devnode)
{
  umockdev_testbed_detach_ioctl (sim->testbed, devnode, NULL);
}

/* the testbed keeps its own reference while the handler serves nodes */
static void
backend_shutdown (DefuseSim *sim)
{
  g_clear_object (&sim->backend_data);
}

const DefuseSimBackend defuse_sim_backend_umockdev = {
  .name = "umockdev",
  .resolve = mem_resolve,
  .set_ptr = mem_set_ptr,
  .mem_unref = mem_unref,
  .complete = call_complete,
  .hold = call_hold,
  .attach = backend_attach,
  .detach = backend_detach,
  .shutdown = backend_shutdown,
};
