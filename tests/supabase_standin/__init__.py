"""A local stand-in for the Supabase Auth (GoTrue) endpoints the `supabase` SDK calls when signing in.

Usage: ``with SupabaseAuthStandIn() as auth: create_client(auth.url, auth.anon_key)``; add users with
``auth.add_user(email, password, confirmed=True)``.
"""

from tests.supabase_standin.standin import SupabaseAuthStandIn

__all__ = ["SupabaseAuthStandIn"]
