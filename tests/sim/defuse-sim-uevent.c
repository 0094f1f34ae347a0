/* defuse-sim-uevent.c: umockdev 0.17's uevent sender ends the whole runner
 * (abort()) when a program listening for uevents goes away at the wrong
 * moment, and programs exit just as their device leaves the bus all the
 * time (every flash that ends with leave), so the suites were flaky.  A
 * uevent for a listener that is gone is simply lost, as it is with the
 * kernel's netlink.  The runner exports connect() and sendmsg() in place
 * of libc's to make the two failures survivable:
 *
 * - sendmsg() answers ECONNREFUSED when the listener closed its socket
 *   between the sender's connect() and sendmsg(), and EAGAIN when a
 *   listener that does not read has a full queue: reported as delivered
 *   (the kernel drops a uevent for a full netlink socket, it never fails
 *   the sender).
 *   umockdev's src/uevent_sender.c sets msg_name but leaves msg_namelen at
 *   0, so the address is recognised by its path alone.
 * - connect() answers ENOENT when a new listener is re-binding the name
 *   (the preload names sockets after the descriptor number, so programs
 *   run one after the other share names, and bind() unlinks first): tried
 *   again until the name is back, else reported as ECONNREFUSED, which
 *   the sender takes as "listener gone".
 *
 * Anything else goes to libc untouched. */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

/* the new listener binds right after its unlink: microseconds */
#define REBIND_TRIES    200
#define REBIND_WAIT_US  50

/* $UMOCKDEV_DIR/event<N>: the socket a listener's netlink socket became */
static gboolean
is_uevent_socket (const struct sockaddr *sa)
{
  const struct sockaddr_un *addr = (const struct sockaddr_un *) sa;
  const char *dir = g_getenv ("UMOCKDEV_DIR");
  gsize dir_len, path_len;
  const char *name;

  if (addr == NULL || addr->sun_family != AF_UNIX || dir == NULL || dir[0] == '\0')
    return FALSE;
  dir_len = strlen (dir);
  path_len = strnlen (addr->sun_path, sizeof addr->sun_path);
  if (path_len <= dir_len + 1 || strncmp (addr->sun_path, dir, dir_len) != 0 || addr->sun_path[dir_len] != '/')
    return FALSE;
  name = addr->sun_path + dir_len + 1;
  if (strncmp (name, "event", 5) != 0 || name[5] == '\0')
    return FALSE;
  for (const char *p = name + 5; p < addr->sun_path + path_len; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gpointer
real_symbol (gsize *slot, const char *name)
{
  if (g_once_init_enter (slot))
    g_once_init_leave (slot, (gsize) dlsym (RTLD_NEXT, name));
  return (gpointer) *slot;
}

int
connect (int fd, const struct sockaddr *addr, socklen_t len)
{
  static gsize real_connect = 0;
  int (*real) (int, const struct sockaddr *, socklen_t) = real_symbol (&real_connect, "connect");
  int ret = real (fd, addr, len);

  if (ret == 0 || errno != ENOENT || len < sizeof (sa_family_t) || !is_uevent_socket (addr))
    return ret;
  for (guint i = 0; i < REBIND_TRIES && ret < 0 && errno == ENOENT; i++)
    {
      g_usleep (REBIND_WAIT_US);
      ret = real (fd, addr, len);
    }
  if (ret < 0 && errno == ENOENT)
    errno = ECONNREFUSED;
  return ret;
}

ssize_t
sendmsg (int fd, const struct msghdr *msg, int flags)
{
  static gsize real_sendmsg = 0;
  ssize_t (*real) (int, const struct msghdr *, int) = real_symbol (&real_sendmsg, "sendmsg");
  ssize_t sent = real (fd, msg, flags);

  if (sent < 0 && (errno == ECONNREFUSED || errno == EAGAIN) && is_uevent_socket (msg->msg_name))
    {
      sent = 0;
      for (size_t i = 0; i < msg->msg_iovlen; i++)
        sent += (ssize_t) msg->msg_iov[i].iov_len;
    }
  return sent;
}
