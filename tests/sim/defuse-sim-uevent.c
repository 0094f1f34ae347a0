/* defuse-sim-uevent.c: umockdev 0.17's uevent sender ends the whole runner
 * ("uevent_sender sendmsg_one: sendmsg failed: Connection refused") when a
 * listening program closes its socket between the sender's connect() and
 * sendmsg().  That happens when a program exits just as its device leaves
 * the bus, as every flash that ends with leave does, so it made the
 * suites flaky.  A uevent for a process that is gone is simply lost, as it
 * is with the kernel's netlink: this sendmsg, which the runner exports in
 * place of libc's, reports such a message as delivered. */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>

/* umockdev's listeners bind $UMOCKDEV_DIR/event<fd> */
static gboolean
to_uevent_socket (const struct msghdr *msg)
{
  const struct sockaddr_un *addr = msg->msg_name;
  const char *base;

  if (addr == NULL || msg->msg_namelen < sizeof (sa_family_t) || addr->sun_family != AF_UNIX)
    return FALSE;
  base = strrchr (addr->sun_path, '/');
  return g_str_has_prefix (base != NULL ? base + 1 : addr->sun_path, "event");
}

ssize_t
sendmsg (int fd, const struct msghdr *msg, int flags)
{
  static gsize real_sendmsg = 0;
  ssize_t (*real) (int, const struct msghdr *, int);
  ssize_t sent;

  if (g_once_init_enter (&real_sendmsg))
    g_once_init_leave (&real_sendmsg, (gsize) dlsym (RTLD_NEXT, "sendmsg"));
  real = (ssize_t (*) (int, const struct msghdr *, int)) real_sendmsg;

  sent = real (fd, msg, flags);
  if (sent < 0 && errno == ECONNREFUSED && to_uevent_socket (msg))
    {
      sent = 0;
      for (size_t i = 0; i < msg->msg_iovlen; i++)
        sent += (ssize_t) msg->msg_iov[i].iov_len;
    }
  return sent;
}
