#include "df-error.h"

G_DEFINE_QUARK (df-error-quark, df_error)
