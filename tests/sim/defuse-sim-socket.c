/* defuse-sim-socket.c: the default ioctl transport (--ioctl=socket).
 *
 * libumockdev-preload connects each open() of an emulated node to the
 * unix socket $UMOCKDEV_DIR/ioctl/<node> and forwards every ioctl as a
 * request, then serves the server's reads and writes of its memory until
 * the answer comes.  All messages are three unsigned longs
 * (umockdev's src/libumockdev-preload.c and src/umockdev-ioctl.vala, the
 * same since umockdev 0.16):
 *
 *   program -> us   IOCTL(1, request, arg)
 *   us -> program   READ_MEM(5, address, length), answered by length bytes
 *                   WRITE_MEM(6, address, length) followed by the bytes
 *                   DONE(3, result, errno)
 *
 * This is what umockdev_testbed_attach_ioctl() sets up, served with
 * blocking I/O on one thread per open file.  A control transfer is three
 * ioctls (SUBMITURB, a reap, an empty reap), and each costs one round
 * trip: the program's memory is read and written with process_vm_readv/
 * writev where the kernel allows it (READ_MEM round trips and WRITE_MEM
 * messages otherwise), the answer goes in one send, and the thread polls
 * briefly for the next ioctl (recv_request).  A held ioctl simply sleeps
 * in its own thread until the device answers. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "defuse-sim.h"

#define MSG_IOCTL     1
#define MSG_READ      7  /* read() on the node */
#define MSG_WRITE     8  /* write() on the node */
#define MSG_DONE      3
#define MSG_READ_MEM  5
#define MSG_WRITE_MEM 6
#define SPIN_US       100    /* see recv_request */
#define UNHANDLED     (-100) /* the preload then runs the call on the plain file */

typedef struct {
  gulong cmd;
  gulong arg1;
  gulong arg2;
} Msg;

typedef struct _Conn Conn;

typedef struct {
  DefuseSim  *sim;
  gchar      *root;
  GMutex      mutex;      /* listeners, conns */
  GCond       cond;       /* a connection ended */
  GHashTable *listeners;  /* devnode -> Listener */
  GList      *closing;    /* Listener: detached, closed by the acceptor */
  GList      *conns;      /* Conn, running */
  int         changed_fd; /* eventfd: the listeners changed */
  int         quit_fd;    /* eventfd: stop everything */
  GThread    *acceptor;
  gint        no_direct;  /* the kernel refuses process_vm_readv: use messages */
  gint        pollers;    /* threads in recv_request's poll, at most max_pollers */
  gint        max_pollers;
} Server;

typedef struct {
  gchar *devnode;
  gchar *path;
  int    fd;
} Listener;

typedef struct {
  DefuseSimMem mem;      /* first: the public view */
  Conn        *conn;
  guint8      *snapshot; /* the program's copy, to write back only changes */
  GPtrArray   *children; /* Mem, at child_offsets */
  GArray      *child_offsets;
} Mem;

typedef struct {
  DefuseSimCall     call;  /* first */
  gboolean          ended;
  gint64            hold_until;
  DefuseSimFireFunc fire;
  gpointer          fire_data;
  GDestroyNotify    fire_destroy;
} Call;

struct _Conn {
  Server          *server;
  int              fd;
  gchar           *devnode;
  DefuseSimClient *client;
  GByteArray      *out;  /* the answer being assembled */
  pid_t            peer_pid;   /* sender of the request being served, 0: unknown */
  gint64           polling_us; /* spent polling in recv_request */
  gboolean         broken;
};

static Server *
server_get (DefuseSim *sim)
{
  return sim->backend_data;
}

/* --- talking to the program ---------------------------------------------- */

static gboolean
recv_all (Conn *conn, gpointer buf, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = recv (conn->fd, (guint8 *) buf + done, len - done, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          conn->broken = TRUE;
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
send_all (Conn *conn, gconstpointer buf, gsize len)
{
  gsize done = 0;

  while (done < len && !conn->broken)
    {
      gssize n = send (conn->fd, (const guint8 *) buf + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          conn->broken = TRUE;
          return FALSE;
        }
      done += (gsize) n;
    }
  return !conn->broken;
}

static void
out_append_msg (Conn *conn, gulong cmd, gulong arg1, gulong arg2)
{
  Msg msg = { cmd, arg1, arg2 };

  g_byte_array_append (conn->out, (const guint8 *) &msg, sizeof msg);
}

/* A program mid-transfer sends its next ioctl within microseconds, so we
 * poll for it for SPIN_US before sleeping: waking a sleeping thread on
 * another CPU costs 20-50 us in a VM, more than the whole answer.  The
 * loop yields, and at most one thread per CPU but one polls at a time (a
 * thread asleep in recvmsg does not count), so programs and other
 * devices' threads still get the CPU.  -1 with EAGAIN: nothing came. */
static gssize
poll_request (Conn *conn, struct msghdr *hdr)
{
  Server *server = conn->server;
  gint64 from = g_get_monotonic_time ();
  gint64 now = from;
  gssize n = -1;

  errno = EAGAIN;  /* also when it is not our turn to poll */
  if (g_atomic_int_add (&server->pollers, 1) < server->max_pollers)
    while ((n = recvmsg (conn->fd, hdr, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0 &&
           (errno == EAGAIN || errno == EINTR) && (now = g_get_monotonic_time ()) < from + SPIN_US)
      sched_yield ();
  g_atomic_int_add (&server->pollers, -1);
  conn->polling_us += now - from;
  return n;
}

/* The next request, and which process sent it: the kernel labels each
 * message with its sender (SO_PASSCRED), which is not always the process
 * that opened the file (a child inherits the descriptor). */
static gboolean
recv_request (Conn *conn, Msg *msg)
{
  union {
    struct cmsghdr align;
    char           buf[CMSG_SPACE (sizeof (struct ucred))];
  } control;
  struct iovec iov = { .iov_base = msg, .iov_len = sizeof *msg };
  struct msghdr hdr = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = control.buf, .msg_controllen = sizeof control.buf };
  gssize n = poll_request (conn, &hdr);

  while (n < 0 && (errno == EAGAIN || errno == EINTR))
    {
      hdr.msg_controllen = sizeof control.buf;
      n = recvmsg (conn->fd, &hdr, MSG_CMSG_CLOEXEC);
    }
  if (n <= 0)
    {
      conn->broken = TRUE;
      return FALSE;
    }
  conn->peer_pid = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&hdr); c != NULL; c = CMSG_NXTHDR (&hdr, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
      {
        struct ucred cred;
        memcpy (&cred, CMSG_DATA (c), sizeof cred);
        conn->peer_pid = cred.pid;
      }
  /* a message split by the stream: the rest carries no label of its own */
  return (gsize) n == sizeof *msg || recv_all (conn, (guint8 *) msg + n, sizeof *msg - (gsize) n);
}

/* whether the sender of the request being served is known and the kernel
 * has not refused us its memory */
static gboolean
direct_allowed (Conn *conn)
{
  return conn->peer_pid > 0 && !g_atomic_int_get (&conn->server->no_direct);
}

/* process_vm_readv/writev on that sender: no round trip.  Returns the
 * bytes copied, or -1 with errno. */
static gssize
access_direct (Conn *conn, guint64 address, gpointer buf, gsize len, gboolean write)
{
  struct iovec local = { .iov_base = buf, .iov_len = len };
  struct iovec remote = { .iov_base = (gpointer) (guintptr) address, .iov_len = len };
  gssize n = write ? process_vm_writev (conn->peer_pid, &local, 1, &remote, 1, 0)
                   : process_vm_readv (conn->peer_pid, &local, 1, &remote, 1, 0);

  if (n == (gssize) len)
    g_atomic_int_inc (&conn->server->sim->n_mem_direct);
  return n;
}

/* Copies the program's memory straight from its address space when the
 * kernel lets us (we started it), else asks the preload for it: the first
 * costs no round trip, which is most of what a transfer costs.  An
 * address the program cannot read itself is EFAULT here as in the kernel;
 * through the preload it would abort the program. */
static gboolean
read_mem (Conn *conn, guint64 address, guint8 *buf, gsize len)
{
  Msg msg = { MSG_READ_MEM, (gulong) address, (gulong) len };

  if (direct_allowed (conn))
    {
      gssize n = access_direct (conn, address, buf, len, FALSE);

      if (n == (gssize) len)
        return TRUE;
      if (n >= 0 || errno == EFAULT || errno == ESRCH)
        return FALSE;
      /* EPERM (not ours to read), ENOSYS: the preload's way from now on */
      g_atomic_int_set (&conn->server->no_direct, TRUE);
    }
  g_atomic_int_inc (&conn->server->sim->n_mem_round_trips);
  return send_all (conn, &msg, sizeof msg) && recv_all (conn, buf, len);
}

/* Writes straight into the program when read_mem could read from it, else
 * queues a WRITE_MEM message, sent with the answer. */
static void
write_mem (Conn *conn, guint64 address, const guint8 *data, gsize len)
{
  if (direct_allowed (conn) && access_direct (conn, address, (gpointer) data, len, TRUE) == (gssize) len)
    return;
  out_append_msg (conn, MSG_WRITE_MEM, (gulong) address, (gulong) len);
  g_byte_array_append (conn->out, data, (guint) len);
}

/* --- the program's memory ------------------------------------------------ */

static DefuseSimMem *
mem_new (Conn *conn, guint64 client_addr, gsize len)
{
  Mem *mem = g_new0 (Mem, 1);

  mem->mem.ref = 1;
  mem->conn = conn;
  mem->mem.data = g_malloc0 (MAX (len, 1));
  mem->mem.len = len;
  mem->mem.client_addr = client_addr;
  mem->children = g_ptr_array_new ();
  mem->child_offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  return &mem->mem;
}

static void
mem_unref (DefuseSimMem *mem)
{
  Mem *self = (Mem *) mem;

  if (!defuse_sim_mem_release (mem))
    return;
  for (guint i = 0; i < self->children->len; i++)
    mem_unref (g_ptr_array_index (self->children, i));
  g_ptr_array_unref (self->children);
  g_array_unref (self->child_offsets);
  g_free (self->snapshot);
  g_free (self->mem.data);
  g_free (self);
}

static void
mem_add_child (Mem *parent, gsize offset, DefuseSimMem *child)
{
  g_ptr_array_add (parent->children, defuse_sim_mem_ref (child));
  g_array_append_val (parent->child_offsets, offset);
}

static DefuseSimMem *
mem_resolve (DefuseSimCall *call, DefuseSimMem *parent, gsize offset, gsize len)
{
  Mem *self = (Mem *) parent;
  DefuseSimMem *child;
  guint64 address = 0;

  for (guint i = 0; i < self->children->len; i++)
    if (g_array_index (self->child_offsets, gsize, i) == offset)
      return defuse_sim_mem_ref (g_ptr_array_index (self->children, i));
  if (offset + sizeof (gpointer) > parent->len)
    return NULL;
  memcpy (&address, parent->data + offset, sizeof (gpointer));
  if (address == 0 || len == 0)
    return NULL;

  child = mem_new (self->conn, address, len);
  if (!read_mem (self->conn, address, child->data, len))
    {
      mem_unref (child);
      return NULL;
    }
  ((Mem *) child)->snapshot = g_memdup2 (child->data, len);
  mem_add_child (self, offset, child);
  return child;
}

static void
mem_set_ptr (DefuseSimMem *parent, gsize offset, DefuseSimMem *child)
{
  memcpy (parent->data + offset, &child->client_addr, sizeof (gpointer));
  mem_add_child ((Mem *) parent, offset, child);
}

/* what changed, written back; the pointed-to blocks first */
static void
mem_flush (Mem *mem, Conn *conn)
{
  for (guint i = 0; i < mem->children->len; i++)
    mem_flush (g_ptr_array_index (mem->children, i), conn);
  if (mem->mem.client_addr == 0)
    return;
  if (mem->snapshot != NULL && memcmp (mem->snapshot, mem->mem.data, mem->mem.len) == 0)
    return;
  write_mem (conn, mem->mem.client_addr, mem->mem.data, mem->mem.len);
  if (mem->snapshot == NULL)
    mem->snapshot = g_malloc (MAX (mem->mem.len, 1));
  memcpy (mem->snapshot, mem->mem.data, mem->mem.len);
}

/* --- answering ----------------------------------------------------------- */

static void
answer (Call *call, glong result, gint errnum)
{
  Conn *conn = ((Mem *) call->call.arg)->conn;

  g_byte_array_set_size (conn->out, 0);
  mem_flush ((Mem *) call->call.arg, conn);
  out_append_msg (conn, MSG_DONE, (gulong) result, (gulong) errnum);
  send_all (conn, conn->out->data, conn->out->len);
  call->ended = TRUE;
}

static void
call_complete (DefuseSimCall *call, glong result, gint errnum)
{
  answer ((Call *) call, result, errnum);
}

/* recorded here, carried out by the connection's thread once the
 * runner's lock is released */
static void
call_hold (DefuseSimCall *call, gint64 at_us, DefuseSimFireFunc fire, gpointer data,
           GDestroyNotify destroy)
{
  Call *self = (Call *) call;

  self->hold_until = at_us;
  self->fire = fire;
  self->fire_data = data;
  self->fire_destroy = destroy;
}

/* Sleeps until the held answer is due; FALSE if the program went away or
 * the run ends first.  ppoll, not poll: microseconds, not milliseconds. */
static gboolean
wait_until (Conn *conn, gint64 at_us)
{
  struct pollfd fds[2] = {
    { .fd = conn->server->quit_fd, .events = POLLIN },
    { .fd = conn->fd, .events = POLLIN },
  };

  for (;;)
    {
      gint64 left = at_us - g_get_monotonic_time ();
      struct timespec ts;
      int n;

      if (left <= 0)
        return TRUE;
      ts.tv_sec = left / G_USEC_PER_SEC;
      ts.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
      n = ppoll (fds, 2, at_us == G_MAXINT64 ? NULL : &ts, NULL);
      if (n < 0 && errno == EINTR)
        continue;
      /* the program sends nothing while it waits: readable means closed */
      if (n != 0)
        return FALSE;
    }
}

static void
serve_ioctl (Conn *conn, const Msg *msg)
{
  DefuseSim *sim = conn->server->sim;
  Call call = { { 0 } };

  call.call.backend = &defuse_sim_backend_socket;
  call.call.client = conn->client;
  call.call.request = msg->arg1;
  call.call.arg = mem_new (conn, 0, sizeof (gpointer));
  memcpy (call.call.arg->data, &msg->arg2, sizeof (gpointer));

  defuse_sim_usbdevfs_handle (sim, &call.call);

  if (!call.ended && call.fire != NULL)
    {
      if (wait_until (conn, call.hold_until))
        {
          gint errnum = 0;
          glong result;

          g_rec_mutex_lock (&sim->lock);
          result = call.fire (call.fire_data, &errnum);
          answer (&call, result, errnum);
          g_rec_mutex_unlock (&sim->lock);
        }
      else
        conn->broken = TRUE;
      if (call.fire_destroy != NULL)
        {
          g_rec_mutex_lock (&sim->lock);
          call.fire_destroy (call.fire_data);
          g_rec_mutex_unlock (&sim->lock);
        }
    }
  else if (!call.ended)
    answer (&call, -1, EIO);
  mem_unref (call.call.arg);
}

static gpointer
conn_thread (gpointer data)
{
  Conn *conn = data;
  Server *server = conn->server;
  Msg msg;

  conn->client = defuse_sim_client_new (server->sim, conn->devnode);
  while (!conn->broken && recv_request (conn, &msg))
    {
      if (msg.cmd == MSG_IOCTL)
        serve_ioctl (conn, &msg);
      else if (msg.cmd == MSG_READ || msg.cmd == MSG_WRITE)
        {
          /* read()/write() on the node: the plain file answers */
          Msg done = { MSG_DONE, (gulong) UNHANDLED, 0 };
          send_all (conn, &done, sizeof done);
        }
      else
        break;
    }
  defuse_sim_client_free (conn->client);
  g_rec_mutex_lock (&server->sim->lock);
  server->sim->polling_us += conn->polling_us;
  g_rec_mutex_unlock (&server->sim->lock);
  close (conn->fd);

  g_mutex_lock (&server->mutex);
  server->conns = g_list_remove (server->conns, conn);
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);
  g_byte_array_unref (conn->out);
  g_free (conn->devnode);
  g_free (conn);
  return NULL;
}

/* --- accepting ----------------------------------------------------------- */

/* only the acceptor closes listening sockets: closed elsewhere, the number
 * could be reused by the next node's socket while it still polls it */
static void
listener_free (Listener *listener)
{
  close (listener->fd);
  g_free (listener->path);
  g_free (listener->devnode);
  g_free (listener);
}

static void
poke (int fd)
{
  guint64 one = 1;

  if (write (fd, &one, sizeof one) < 0)
    g_warning ("defuse-sim: cannot wake a thread: %s", g_strerror (errno));
}

/* every message then says which process sent it (recv_request) */
static gboolean
pass_credentials (int fd)
{
  int on = 1;

  return setsockopt (fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0;
}

static void
accept_one (Server *server, int listen_fd, const gchar *devnode)
{
  Conn *conn;
  GThread *thread;
  g_autoptr(GError) error = NULL;
  int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    return;
  pass_credentials (fd);
  conn = g_new0 (Conn, 1);
  conn->server = server;
  conn->fd = fd;
  conn->devnode = g_strdup (devnode);
  conn->out = g_byte_array_new ();

  g_mutex_lock (&server->mutex);
  server->conns = g_list_prepend (server->conns, conn);
  g_mutex_unlock (&server->mutex);
  thread = g_thread_try_new ("defuse-sim-conn", conn_thread, conn, &error);
  if (thread == NULL)
    {
      g_printerr ("defuse-sim: cannot serve %s: %s\n", devnode, error->message);
      g_mutex_lock (&server->mutex);
      server->conns = g_list_remove (server->conns, conn);
      g_mutex_unlock (&server->mutex);
      close (fd);
      g_byte_array_unref (conn->out);
      g_free (conn->devnode);
      g_free (conn);
      return;
    }
  /* it ends when the program closes the file; the list says when */
  g_thread_unref (thread);
}

static gpointer
acceptor_thread (gpointer data)
{
  Server *server = data;

  for (;;)
    {
      g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (struct pollfd));
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      struct pollfd pfd = { .events = POLLIN };
      GHashTableIter iter;
      gpointer value;

      pfd.fd = server->quit_fd;
      g_array_append_val (fds, pfd);
      pfd.fd = server->changed_fd;
      g_array_append_val (fds, pfd);
      g_mutex_lock (&server->mutex);
      g_list_free_full (g_steal_pointer (&server->closing), (GDestroyNotify) listener_free);
      g_hash_table_iter_init (&iter, server->listeners);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Listener *listener = value;
          pfd.fd = listener->fd;
          g_array_append_val (fds, pfd);
          g_ptr_array_add (names, g_strdup (listener->devnode));
        }
      g_mutex_unlock (&server->mutex);

      if (poll ((struct pollfd *) fds->data, fds->len, -1) < 0 && errno != EINTR)
        break;
      if (g_array_index (fds, struct pollfd, 0).revents != 0)
        break;
      if (g_array_index (fds, struct pollfd, 1).revents != 0)
        {
          guint64 count;
          if (read (server->changed_fd, &count, sizeof count) < 0)
            continue;
          continue;  /* rebuild: a listener may be closed by now */
        }
      for (guint i = 2; i < fds->len; i++)
        if (g_array_index (fds, struct pollfd, i).revents & POLLIN)
          accept_one (server, g_array_index (fds, struct pollfd, i).fd, g_ptr_array_index (names, i - 2));
    }
  return NULL;
}

/* --- the backend --------------------------------------------------------- */

static gboolean
backend_attach (DefuseSim *sim, const gchar *devnode, GError **error)
{
  Server *server = server_get (sim);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autofree gchar *path = NULL;
  g_autofree gchar *dir = NULL;
  Listener *listener;
  int fd;

  if (server == NULL)
    {
      server = g_new0 (Server, 1);
      server->sim = sim;
      server->root = umockdev_testbed_get_root_dir (sim->testbed);
      g_mutex_init (&server->mutex);
      g_cond_init (&server->cond);
      server->listeners = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                 (GDestroyNotify) listener_free);
      server->max_pollers = MAX (1, (gint) g_get_num_processors () - 1);
      server->changed_fd = eventfd (0, EFD_CLOEXEC);
      server->quit_fd = eventfd (0, EFD_CLOEXEC);
      server->acceptor = g_thread_new ("defuse-sim-accept", acceptor_thread, server);
      sim->backend_data = server;
    }

  /* where libumockdev-preload looks for it */
  path = g_build_filename (server->root, "ioctl", devnode, NULL);
  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   "socket path %s is too long (set TMPDIR to a shorter directory)", path);
      return FALSE;
    }
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  strcpy (addr.sun_path, path);
  g_unlink (path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || !pass_credentials (fd) || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 16) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot listen on %s: %s", path, g_strerror (saved));
      return FALSE;
    }

  listener = g_new0 (Listener, 1);
  listener->devnode = g_strdup (devnode);
  listener->path = g_steal_pointer (&path);
  listener->fd = fd;
  g_mutex_lock (&server->mutex);
  g_hash_table_replace (server->listeners, listener->devnode, listener);
  g_mutex_unlock (&server->mutex);
  poke (server->changed_fd);
  return TRUE;
}

static void
backend_detach (DefuseSim *sim, const gchar *devnode)
{
  Server *server = server_get (sim);
  Listener *listener;

  if (server == NULL)
    return;
  g_mutex_lock (&server->mutex);
  listener = g_hash_table_lookup (server->listeners, devnode);
  if (listener != NULL)
    {
      /* no new opens from now on; connections made so far stay */
      g_unlink (listener->path);
      g_hash_table_steal (server->listeners, devnode);
      server->closing = g_list_prepend (server->closing, listener);
    }
  g_mutex_unlock (&server->mutex);
  poke (server->changed_fd);
}

/* The program has exited.  Anything still connected (a process it left
 * behind) is cut off. */
static void
backend_shutdown (DefuseSim *sim)
{
  Server *server = server_get (sim);

  if (server == NULL)
    return;
  poke (server->quit_fd);
  g_thread_join (server->acceptor);

  g_mutex_lock (&server->mutex);
  for (GList *l = server->conns; l != NULL; l = l->next)
    shutdown (((Conn *) l->data)->fd, SHUT_RDWR);
  while (server->conns != NULL)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);

  g_hash_table_unref (server->listeners);
  g_list_free_full (g_steal_pointer (&server->closing), (GDestroyNotify) listener_free);
  close (server->changed_fd);
  close (server->quit_fd);
  g_cond_clear (&server->cond);
  g_mutex_clear (&server->mutex);
  g_free (server->root);
  g_free (server);
  sim->backend_data = NULL;
}

const DefuseSimBackend defuse_sim_backend_socket = {
  .name = "socket",
  .resolve = mem_resolve,
  .set_ptr = mem_set_ptr,
  .mem_unref = mem_unref,
  .complete = call_complete,
  .hold = call_hold,
  .attach = backend_attach,
  .detach = backend_detach,
  .shutdown = backend_shutdown,
};
