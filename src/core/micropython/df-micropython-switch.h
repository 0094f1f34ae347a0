/* df-micropython-switch.h: from MicroPython to DFU mode and back: the
 * board found on its serial port is sent into its bootloader and followed
 * there by its USB port path (never taken for another DFU device), and
 * after the flash it is awaited back on the same port path. */
#pragma once

#include "df-device.h"
#include "df-image.h"
#include "df-micropython.h"

G_BEGIN_DECLS

#define DF_MICROPYTHON_SWITCH_MS 8000   /* machine.bootloader() to DFU mode */
#define DF_MICROPYTHON_BACK_MS   15000  /* leave to the REPL answering again */

/* Runs machine.bootloader() and waits for the DFU-mode device at the same
 * port path; returns it. */
DfDevice      *df_micropython_switch_and_wait (DfMicroPython *board, GCancellable *cancellable, GError **error);
/* Waits for a MicroPython board at the USB port path and asks it what it
 * runs now. */
DfMicroPython *df_micropython_wait_back (const gchar *path, GCancellable *cancellable, GError **error);

typedef enum {
  DF_FILESYSTEM_UNKNOWN,      /* no filesystem region known for the board */
  DF_FILESYSTEM_KEPT,         /* the file does not touch it */
  DF_FILESYSTEM_OVERWRITTEN,  /* the file (or a mass erase) erases it */
} DfFilesystemFate;

/* what flashing image does to the board's internal filesystem (its files,
 * main.py), and a sentence saying so (NULL when unknown) */
DfFilesystemFate df_micropython_filesystem_fate (DfMicroPython *board, DfImage *image, gboolean mass_erase);
gchar         *df_micropython_filesystem_note (DfMicroPython *board, DfFilesystemFate fate);

G_END_DECLS
