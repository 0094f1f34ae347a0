/* sim-repl.c: the REPL of a virtual MicroPython board.
 *
 * The byte protocol follows MicroPython's shared/runtime/pyexec.c:
 * - friendly REPL (">>> "): Ctrl-A enters the raw REPL, which prints
 *   "raw REPL; CTRL-B to exit\r\n>"; Ctrl-B prints the banner again; Ctrl-C
 *   abandons the line; Ctrl-D soft-resets; other bytes are echoed and a
 *   CR runs the line.
 * - raw REPL: bytes are collected without echo until Ctrl-D, which answers
 *   "OK", runs the code, and prints its output, "\x04", the exception (if
 *   any), "\x04" and ">" (EXEC_FLAG_PRINT_EOF); Ctrl-D on an empty buffer
 *   soft-resets; Ctrl-A starts the raw REPL afresh; Ctrl-C clears the
 *   buffer; Ctrl-B returns to the friendly REPL ("\r\n" and the banner).
 *   The raw-paste extension (Ctrl-E A Ctrl-A, MicroPython >= 1.14) is not
 *   modelled: the board answers it as a board from before 1.14 does, by
 *   restarting the raw REPL, and hosts fall back to plain raw mode.
 * - stdout is "cooked": "\n" goes out as "\r\n" (mp_hal_stdout_tx_strn_cooked).
 *
 * Python itself is not: the board runs the few statements a host asks a
 * board about (import, print() of sys.implementation and os.uname()
 * fields, machine.bootloader()) and answers anything else with the
 * exception MicroPython raises (SyntaxError, NameError, ImportError,
 * AttributeError), in MicroPython's traceback format.  The values come from
 * the profile: os.uname() on the stm32 port is (sysname, nodename,
 * release, version, machine) with version "v1.24.1 on 2024-11-29" and
 * machine "PYBv1.1 with STM32F405RG" (ports/stm32/modos.c, py/modsys.c). */
#include <stdio.h>
#include <string.h>

#include "sim-private.h"
#include "sim-repl.h"

#define CTRL_A 0x01
#define CTRL_B 0x02
#define CTRL_C 0x03
#define CTRL_D 0x04

struct _SimRepl {
  SimMicroPython   mp;
  SimReplBehaviour behaviour;
  gboolean         raw;
  GString         *line;
  GHashTable      *imported;  /* module names; the REPL's globals */
  guint            garbage_seed;
};

static const gchar *const modules[] = { "sys", "os", "machine", "gc", "time", "micropython", "pyb", NULL };

SimRepl *
sim_repl_new (const SimMicroPython *mp, SimReplBehaviour behaviour)
{
  SimRepl *repl = g_new0 (SimRepl, 1);

  repl->mp.version = g_strdup (mp->version);
  repl->mp.build_date = g_strdup (mp->build_date);
  repl->mp.machine = g_strdup (mp->machine);
  repl->mp.sysname = g_strdup (mp->sysname);
  repl->mp.build = g_strdup (mp->build);
  repl->behaviour = behaviour;
  repl->line = g_string_new (NULL);
  repl->imported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  repl->garbage_seed = 0x5a17;
  return repl;
}

void
sim_repl_free (SimRepl *repl)
{
  if (repl == NULL)
    return;
  g_free (repl->mp.version);
  g_free (repl->mp.build_date);
  g_free (repl->mp.machine);
  g_free (repl->mp.sysname);
  g_free (repl->mp.build);
  g_string_free (repl->line, TRUE);
  g_hash_table_unref (repl->imported);
  g_free (repl);
}

gboolean
sim_repl_is_raw (SimRepl *repl)
{
  return repl->raw;
}

/* "\n" -> "\r\n", as the port's stdout does */
static void
put_cooked (GByteArray *out, const gchar *text)
{
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (*p == '\n')
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, (const guint8 *) p, 1);
    }
}

static void
put (GByteArray *out, const gchar *text)
{
  g_byte_array_append (out, (const guint8 *) text, (guint) strlen (text));
}

static void
put_banner (SimRepl *repl, GByteArray *out)
{
  g_autofree gchar *banner = g_strdup_printf ("MicroPython v%s on %s; %s\nType \"help()\" for more information.\n",
                                              repl->mp.version, repl->mp.build_date, repl->mp.machine);
  put_cooked (out, banner);
}

/* --- the few expressions a host asks about --- */

typedef enum { OK, RAISED } Outcome;

/* "1.24.1" -> "(1, 24, 1, '')", "1.25.0-preview" -> "(1, 25, 0, 'preview')" */
static gchar *
version_tuple (const gchar *version)
{
  g_auto(GStrv) parts = NULL;
  const gchar *dash = strchr (version, '-');
  g_autofree gchar *numbers = dash != NULL ? g_strndup (version, (gsize) (dash - version)) : g_strdup (version);
  g_autofree gchar *level = dash != NULL ? g_strdup (dash + 1) : g_strdup ("");
  gchar *dot = strchr (level, '.');

  if (dot != NULL)
    *dot = '\0';
  parts = g_strsplit (numbers, ".", 3);
  return g_strdup_printf ("(%s, %s, %s, '%s')", parts[0] != NULL ? parts[0] : "0",
                          parts[0] != NULL && parts[1] != NULL ? parts[1] : "0",
                          parts[0] != NULL && parts[1] != NULL && parts[2] != NULL ? parts[2] : "0", level);
}

/* sys.implementation._build came with MicroPython 1.25 */
static gboolean
has_build (SimRepl *repl)
{
  guint major = 0, minor = 0;

  if (repl->mp.build == NULL || sscanf (repl->mp.version, "%u.%u", &major, &minor) != 2)
    return FALSE;
  return major > 1 || (major == 1 && minor >= 25);
}

static gchar *
uname_field (SimRepl *repl, const gchar *name)
{
  if (g_str_equal (name, "sysname") || g_str_equal (name, "nodename"))
    return g_strdup (repl->mp.sysname);
  if (g_str_equal (name, "release"))
    return g_strdup (repl->mp.version);
  if (g_str_equal (name, "version"))
    return g_strdup_printf ("v%s on %s", repl->mp.version, repl->mp.build_date);
  if (g_str_equal (name, "machine"))
    return g_strdup (repl->mp.machine);
  return NULL;
}

static Outcome
raise_error (gchar **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static Outcome
raise_error (gchar **error, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  *error = g_strdup_vprintf (format, args);
  va_end (args);
  return RAISED;
}

/* the str() of a dotted name or literal, or the exception it raises */
static Outcome
eval (SimRepl *repl, const gchar *expr, gchar **value, gchar **error)
{
  g_auto(GStrv) parts = g_strsplit (expr, ".", -1);
  const gchar *module = parts[0];
  const gchar *rest = expr + strlen (module) + (parts[1] != NULL ? 1 : 0);
  gsize len = strlen (expr);

  if (len >= 2 && (expr[0] == '\'' || expr[0] == '"') && expr[len - 1] == expr[0])
    return *value = g_strndup (expr + 1, len - 2), OK;
  if (len > 0 && g_ascii_isdigit (expr[0]))
    return *value = g_strdup (expr), OK;
  if (!g_hash_table_contains (repl->imported, module))
    return raise_error (error, "NameError: name '%s' isn't defined", module);
  if (g_str_equal (module, "sys"))
    {
      if (g_str_equal (rest, "implementation.name"))
        return *value = g_strdup ("micropython"), OK;
      if (g_str_equal (rest, "implementation.version"))
        return *value = version_tuple (repl->mp.version), OK;
      if (g_str_equal (rest, "implementation._machine"))
        return *value = g_strdup (repl->mp.machine), OK;
      if (g_str_equal (rest, "implementation._build") && has_build (repl))
        return *value = g_strdup (repl->mp.build), OK;
      if (g_str_equal (rest, "platform"))
        return *value = g_strdup (repl->mp.sysname), OK;
      if (g_str_equal (rest, "version"))
        return *value = g_strdup_printf ("3.4.0; MicroPython v%s on %s", repl->mp.version, repl->mp.build_date), OK;
    }
  else if (g_str_equal (module, "os") && g_str_has_prefix (rest, "uname()"))
    {
      const gchar *attr = rest + strlen ("uname()");
      if (attr[0] == '\0')
        return *value = g_strdup_printf ("(sysname='%s', nodename='%s', release='%s', version='v%s on %s', machine='%s')",
                                         repl->mp.sysname, repl->mp.sysname, repl->mp.version,
                                         repl->mp.version, repl->mp.build_date, repl->mp.machine), OK;
      if (attr[0] == '.' && (*value = uname_field (repl, attr + 1)) != NULL)
        return OK;
      return raise_error (error, "AttributeError: 'uname_result' object has no attribute '%s'", attr + 1);
    }
  return raise_error (error, "AttributeError: 'module' object has no attribute '%s'",
                parts[1] != NULL ? parts[g_strv_length (parts) - 1] : module);
}

/* --- statements --- */

typedef enum { ST_PASS, ST_IMPORT, ST_PRINT, ST_BOOTLOADER, ST_EXPR, ST_INVALID } StatementKind;

static gboolean
is_dotted_name (const gchar *text)
{
  gboolean start = TRUE;

  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (start)
            return FALSE;
          start = TRUE;
        }
      else if (g_ascii_isalpha (*p) || *p == '_' || (!start && g_ascii_isdigit (*p)) ||
               (g_str_has_prefix (p, "()") && !start && (p++, TRUE)))
        start = FALSE;
      else
        return FALSE;
    }
  return !start;
}

static gboolean
is_expression (const gchar *text)
{
  gsize len = strlen (text);

  if (len >= 2 && (text[0] == '\'' || text[0] == '"') && text[len - 1] == text[0] &&
      strchr (text + 1, text[0]) == text + len - 1)
    return TRUE;
  if (len > 0 && strspn (text, "0123456789") == len)
    return TRUE;
  return is_dotted_name (text);
}

static StatementKind
classify (const gchar *s, gchar ***args)
{
  if (s[0] == '\0' || g_str_equal (s, "pass"))
    return ST_PASS;
  if (g_str_has_prefix (s, "import "))
    {
      *args = g_strsplit (s + strlen ("import "), ",", -1);
      for (guint i = 0; (*args)[i] != NULL; i++)
        {
          g_strstrip ((*args)[i]);
          if (!is_dotted_name ((*args)[i]) || strchr ((*args)[i], '(') != NULL)
            return ST_INVALID;
        }
      return ST_IMPORT;
    }
  if (g_str_has_prefix (s, "print(") && g_str_has_suffix (s, ")"))
    {
      g_autofree gchar *inner = g_strndup (s + 6, strlen (s) - 7);
      *args = g_strsplit (inner, ",", -1);
      for (guint i = 0; (*args)[i] != NULL; i++)
        if (!is_expression (g_strstrip ((*args)[i])) && !(i == 0 && (*args)[1] == NULL && (*args)[0][0] == '\0'))
          return ST_INVALID;
      return ST_PRINT;
    }
  if (g_str_equal (s, "machine.bootloader()"))
    return ST_BOOTLOADER;
  return is_expression (s) ? ST_EXPR : ST_INVALID;
}

typedef struct {
  gchar        *text;
  guint         line;
  StatementKind kind;
  gchar       **args;
} Statement;

static void
statement_clear (gpointer data)
{
  Statement *st = data;
  g_free (st->text);
  g_strfreev (st->args);
}

/* lines, then ";" within a line (no string holds one in what hosts send) */
static GArray *
parse (const gchar *code, guint *bad_line)
{
  GArray *statements = g_array_new (FALSE, TRUE, sizeof (Statement));
  g_auto(GStrv) lines = g_strsplit_set (code, "\r\n", -1);

  g_array_set_clear_func (statements, statement_clear);
  *bad_line = 0;
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[l], ";", -1);
      if (lines[l][0] == ' ' || lines[l][0] == '\t')
        *bad_line = *bad_line != 0 ? *bad_line : l + 1;  /* IndentationError in MicroPython too */
      for (guint i = 0; parts[i] != NULL; i++)
        {
          Statement st = { g_strdup (g_strstrip (parts[i])), l + 1, ST_PASS, NULL };
          st.kind = classify (st.text, &st.args);
          if (st.kind == ST_INVALID && *bad_line == 0)
            *bad_line = l + 1;
          g_array_append_val (statements, st);
        }
    }
  return statements;
}

/* runs code; stdout and the exception text go to out and err */
static gboolean
run (SimRepl *repl, const gchar *code, GString *out, GString *err)
{
  guint bad_line;
  g_autoptr(GArray) statements = parse (code, &bad_line);

  if (bad_line != 0)
    {
      g_string_append_printf (err, "Traceback (most recent call last):\n  File \"<stdin>\", line %u\n"
                              "SyntaxError: invalid syntax\n", bad_line);
      return FALSE;
    }
  for (guint i = 0; i < statements->len; i++)
    {
      Statement *st = &g_array_index (statements, Statement, i);
      g_autofree gchar *error = NULL;

      if (st->kind == ST_IMPORT)
        for (guint m = 0; st->args[m] != NULL && error == NULL; m++)
          {
            const gchar *name = st->args[m][0] == 'u' && g_strv_contains (modules, st->args[m] + 1)
              ? st->args[m] + 1 : st->args[m];  /* uos, usys: the old names */
            if (g_strv_contains (modules, name))
              g_hash_table_add (repl->imported, g_strdup (name));
            else
              error = g_strdup_printf ("ImportError: no module named '%s'", st->args[m]);
          }
      else if (st->kind == ST_PRINT)
        {
          g_autoptr(GString) line = g_string_new (NULL);
          for (guint a = 0; st->args[a] != NULL && st->args[a][0] != '\0' && error == NULL; a++)
            {
              g_autofree gchar *value = NULL;
              if (eval (repl, st->args[a], &value, &error) == OK)
                g_string_append_printf (line, "%s%s", a > 0 ? " " : "", value);
            }
          if (error == NULL)
            g_string_append_printf (out, "%s\n", line->str);
        }
      else if (st->kind == ST_EXPR)
        {
          g_autofree gchar *value = NULL;
          eval (repl, st->text, &value, &error);
        }
      else if (st->kind == ST_BOOTLOADER)
        {
          if (!g_hash_table_contains (repl->imported, "machine"))
            error = g_strdup ("NameError: name 'machine' isn't defined");
          else
            return TRUE;
        }
      if (error != NULL)
        {
          g_string_append_printf (err, "Traceback (most recent call last):\n  File \"<stdin>\", line %u, in <module>\n%s\n",
                                  st->line, error);
          return FALSE;
        }
    }
  return FALSE;
}

/* --- the byte protocol --- */

/* runs the line: TRUE when it was machine.bootloader(); the raw REPL
 * ends the output and the exception each with \x04 */
static gboolean
run_line (SimRepl *repl, const gchar *eof, GByteArray *out)
{
  g_autoptr(GString) stdout_text = g_string_new (NULL);
  g_autoptr(GString) stderr_text = g_string_new (NULL);

  if (run (repl, repl->line->str, stdout_text, stderr_text))
    return TRUE;
  g_string_truncate (repl->line, 0);
  put_cooked (out, stdout_text->str);
  put (out, eof);
  put_cooked (out, stderr_text->str);
  put (out, eof);
  return FALSE;
}

/* Ctrl-A, B and C in either mode; FALSE for other bytes */
static gboolean
control (SimRepl *repl, guint8 c, GByteArray *out)
{
  switch (c)
    {
    case CTRL_A:
      repl->raw = TRUE;
      put (out, "raw REPL; CTRL-B to exit\r\n>");
      break;
    case CTRL_B:
      repl->raw = FALSE;
      put (out, "\r\n");
      put_banner (repl, out);
      put (out, ">>> ");
      break;
    case CTRL_C:
      if (!repl->raw)
        put (out, "\r\n>>> ");
      break;
    default:
      return FALSE;
    }
  g_string_truncate (repl->line, 0);
  return TRUE;
}

static gboolean
raw_input (SimRepl *repl, guint8 c, GByteArray *out)
{
  if (c != CTRL_D)
    {
      if (!control (repl, c, out))
        g_string_append_c (repl->line, (gchar) c);
      return FALSE;
    }
  put (out, "OK");
  if (repl->line->len == 0)
    {
      /* a soft reset: the globals go, the board stays in raw mode */
      g_hash_table_remove_all (repl->imported);
      put (out, "\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>");
      return FALSE;
    }
  if (run_line (repl, "\x04", out))
    return TRUE;
  put (out, ">");
  return FALSE;
}

static gboolean
friendly_input (SimRepl *repl, guint8 c, GByteArray *out)
{
  if (control (repl, c, out) || c == '\n')
    return FALSE;
  if (c == CTRL_D)
    {
      g_hash_table_remove_all (repl->imported);
      put (out, "\r\nMPY: soft reboot\r\n");
      put_banner (repl, out);
      put (out, ">>> ");
    }
  else if (c == '\r')
    {
      put (out, "\r\n");
      if (run_line (repl, "", out))
        return TRUE;
      put (out, ">>> ");
    }
  else
    {
      g_string_append_c (repl->line, (gchar) c);
      g_byte_array_append (out, &c, 1);
    }
  return FALSE;
}

gboolean
sim_repl_input (SimRepl *repl, const guint8 *data, gsize len, GByteArray *out)
{
  for (gsize i = 0; i < len; i++)
    {
      if (repl->behaviour == SIM_REPL_SILENT)
        continue;
      if (repl->behaviour == SIM_REPL_GARBAGE)
        {
          /* line noise: what a port at the wrong speed or another device gives */
          repl->garbage_seed = repl->garbage_seed * 1103515245u + 12345u;
          g_byte_array_append (out, (const guint8[]) { (guint8) (0x80 | (repl->garbage_seed >> 16)) }, 1);
          continue;
        }
      if (repl->raw ? raw_input (repl, data[i], out) : friendly_input (repl, data[i], out))
        return TRUE;
    }
  return FALSE;
}
