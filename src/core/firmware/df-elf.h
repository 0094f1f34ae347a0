/* df-elf.h: what the ELF reader (df-elf.c) and writer (df-elf-writer.c)
 * share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* libelf wants its version set once per process before any other call;
 * FALSE when this libelf is too old */
gboolean df_elf_init (void);

G_END_DECLS
