/* df-catalog.h: the catalog of known DFU bootloaders
 * (data/catalog/defuse.catalog, built in; users add
 * .catalog files in ~/.config/defuse/catalog.d, or $DEFUSE_CATALOG_DIR): what to
 * call a device ("STM32F4 system bootloader, 1 MiB") and how to put a
 * board in DFU mode. */
#pragma once

#include "df-device.h"

G_BEGIN_DECLS

typedef struct {
  gchar *id;      /* its [name] in the catalog */
  gchar *name;    /* "STM32F4 system bootloader", translated */
  gchar *family;  /* "STM32F4" */
  gchar *steps;   /* how to start the bootloader, translated */
} DfCatalogEntry;

/* the first entry that matches the device, NULL if none; owned by the catalog */
const DfCatalogEntry *df_catalog_lookup (const DfDevice *device);
/* "STM32F4 system bootloader, 1 MiB" (the size of alt 0's first region);
 * the product string for devices the catalog does not know */
gchar                *df_catalog_describe (const DfDevice *device);
/* every entry, in catalog order, of DfCatalogEntry; owned by the catalog */
GPtrArray            *df_catalog_get_entries (void);
/* the entries with distinct steps, one per family, for people waiting
 * for a board (the empty device list) */
GPtrArray            *df_catalog_get_families (void);

G_END_DECLS
