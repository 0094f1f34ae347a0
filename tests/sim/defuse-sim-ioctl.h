/* defuse-sim-ioctl.h: how a program's ioctls on a device node reach the
 * usbdevfs emulation (defuse-sim-usbdevfs.c), whichever transport carries
 * them.
 *
 * Both transports serve the same libumockdev-preload in the program:
 *
 *  - "umockdev" (defuse-sim-umockdev.c): a UMockdevIoctlBase handler
 *    attached with umockdev_testbed_attach_ioctl(), the documented API.
 *    umockdev dispatches each ioctl through GIO on its worker thread, about
 *    five main-loop iterations per ioctl: 120-150 us of runner CPU per
 *    control transfer, 1,800-4,400 transfers/s on the loaded 2-CPU machine
 *    this was written on (tests/bench/sim-baseline).
 *  - "socket" (defuse-sim-socket.c, the default): serves the preload's
 *    ioctl socket itself, one thread per open file, reads the program's
 *    memory with process_vm_readv instead of a round trip per pointer,
 *    sends each answer in one write, and polls briefly for the next
 *    ioctl: one round trip per ioctl, 6,500-8,000 transfers/s on an idle
 *    2-CPU VM (2,200-2,500 for "umockdev" there; tests/bench/sim-baseline).  It depends on the
 *    preload's socket protocol (unchanged since umockdev 0.16), which is
 *    internal to umockdev; --ioctl=umockdev is the fallback.
 *
 * The emulation sees the program's memory as DefuseSimMem blocks, the way
 * UMockdevIoctlData presents it: resolve a pointer found in a block to get
 * a local copy of what it points to, change the copy, and everything
 * changed is written back before the ioctl returns. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DefuseSim        DefuseSim;
typedef struct _DefuseSimClient  DefuseSimClient;
typedef struct _DefuseSimMem     DefuseSimMem;
typedef struct _DefuseSimCall    DefuseSimCall;
typedef struct _DefuseSimBackend DefuseSimBackend;

/* A block of the program's memory, copied locally. */
struct _DefuseSimMem {
  guint8 *data;
  gsize   len;
  guint64 client_addr;
  gint    ref;     /* 1 when the transport makes it */
};

/* Every transport counts references the same way; what the last unref
 * frees is the transport's (its mem_unref calls defuse_sim_mem_release). */
static inline DefuseSimMem *
defuse_sim_mem_ref (DefuseSimMem *mem)
{
  g_atomic_int_inc (&mem->ref);
  return mem;
}

/* TRUE when that was the last reference */
static inline gboolean
defuse_sim_mem_release (DefuseSimMem *mem)
{
  return g_atomic_int_dec_and_test (&mem->ref);
}

/* One ioctl being answered.  It ends with complete() or hold(). */
struct _DefuseSimCall {
  const DefuseSimBackend *backend;
  DefuseSimClient        *client;
  gulong                  request;
  DefuseSimMem           *arg;    /* data holds the argument's value */
};

/* Runs with the runner's lock held when a held ioctl is answered; returns
 * the ioctl's result and sets *errnum. */
typedef glong (*DefuseSimFireFunc) (gpointer data, gint *errnum);

struct _DefuseSimBackend {
  const gchar  *name;
  /* a copy of len bytes at the pointer stored at offset in parent (NULL
   * for a NULL pointer or an unreadable address); a new reference */
  DefuseSimMem *(*resolve)   (DefuseSimCall *call, DefuseSimMem *parent, gsize offset, gsize len);
  /* stores child's address at offset in parent: how a reap hands back an URB */
  void          (*set_ptr)   (DefuseSimMem *parent, gsize offset, DefuseSimMem *child);
  void          (*mem_unref) (DefuseSimMem *mem);
  /* the ioctl returns now */
  void          (*complete)  (DefuseSimCall *call, glong result, gint errnum);
  /* the ioctl returns at at_us (G_MAXINT64: when the program goes away),
   * with what fire() says then; the caller is not blocked meanwhile */
  void          (*hold)      (DefuseSimCall *call, gint64 at_us, DefuseSimFireFunc fire,
                              gpointer data, GDestroyNotify destroy);
  /* serve a device node / stop accepting new opens of it */
  gboolean      (*attach)    (DefuseSim *sim, const gchar *devnode, GError **error);
  void          (*detach)    (DefuseSim *sim, const gchar *devnode);
  /* after the program exited */
  void          (*shutdown)  (DefuseSim *sim);
};

extern const DefuseSimBackend defuse_sim_backend_umockdev;
extern const DefuseSimBackend defuse_sim_backend_socket;

/* defuse-sim-usbdevfs.c: called by the transports */
DefuseSimClient *defuse_sim_client_new (DefuseSim *sim, const gchar *devnode);
void             defuse_sim_client_free (DefuseSimClient *client);
void             defuse_sim_usbdevfs_handle (DefuseSim *sim, DefuseSimCall *call);

G_END_DECLS
